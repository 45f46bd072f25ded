"""Local-file object store with HMAC-signed, expiring download links served by the app."""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import os
import re
import secrets
import shutil
from pathlib import Path
from urllib.parse import quote, urlencode

_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
# Epoch seconds in ASCII digits (str.isdigit() also takes "²", which int() refuses).
_EXPIRES = re.compile(r"[0-9]{1,12}")


class InvalidLink(Exception):
    """A download link that is tampered with, expired or names nothing."""


class LocalBlobStore:
    def __init__(self, root: Path, public_url: str, secret: bytes) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._public_url = public_url.rstrip("/")
        self._secret = secret

    def path_of(self, key: str) -> Path:
        if not _SAFE_KEY.fullmatch(key) or ".." in key.split("/"):
            raise InvalidLink(f"bad key {key!r}")
        return self.root / key

    def put_file(self, key: str, source: Path, *, filename: str = "") -> int:
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = source.stat().st_size
        # A rename within one filesystem is atomic: a reader sees the old object or the new
        # one, never half of one. From another filesystem the file is first copied beside its
        # destination, then renamed there.
        try:
            os.replace(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            beside = target.with_name(f".{target.name}.{secrets.token_hex(8)}.part")
            try:
                shutil.copyfile(source, beside)
                os.replace(beside, target)
            finally:
                beside.unlink(missing_ok=True)
            source.unlink()
        return size

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def _signature(self, key: str, filename: str, expires: int) -> str:
        message = f"{key}\n{filename}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def download_url(self, key: str, filename: str, now: int, ttl: int) -> tuple[str, int]:
        expires = now + ttl
        query = urlencode(
            {
                "name": filename,
                "Expires": expires,
                "Signature": self._signature(key, filename, expires),
            }
        )
        return f"{self._public_url}/download/{quote(key)}?{query}", expires

    def resolve(self, key: str, filename: str, expires: str, signature: str, now: int) -> Path:
        """The file a download link points at; InvalidLink when it must not be served."""
        if not _EXPIRES.fullmatch(expires):
            raise InvalidLink("bad expiry")
        expected = self._signature(key, filename, int(expires))
        if not hmac.compare_digest(expected, signature):
            raise InvalidLink("bad signature")
        if int(expires) < now:
            raise InvalidLink("expired")
        path = self.path_of(key)
        if not path.is_file():
            raise InvalidLink("gone")
        return path
