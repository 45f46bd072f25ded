"""Reading a log file as blocks of lines; gzip is told by its magic bytes; the content is hashed.

The digest is of the decompressed content, so a log met once plain and once gzipped (as logrotate
leaves ``access.log.1`` and later ``access.log.2.gz``) is recognised as the same file.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
#: Bytes read per step: large enough that per-step costs vanish, small enough to stay constant.
CHUNK_SIZE = 1 << 20


class UnreadableLog(Exception):
    """The file cannot be read to its end (missing, truncated gzip, I/O error)."""


class LogReader:
    """One pass over ``path``: ``blocks()`` yields lists of lines without their line endings;
    afterwards ``hexdigest()`` is the SHA-256 of the whole decompressed content."""

    def __init__(
        self,
        path: Path,
        on_progress: Callable[[int], None] | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        """``on_progress`` receives the count of on-disk bytes consumed since its last call."""
        self.path = path
        self._on_progress = on_progress
        self._chunk_size = chunk_size
        self._sha = hashlib.sha256()
        self.compressed = False

    def hexdigest(self) -> str:
        return self._sha.hexdigest()

    def blocks(self) -> Iterator[list[bytes]]:
        try:
            with self.path.open("rb") as raw:
                self.compressed = raw.read(2) == GZIP_MAGIC
                raw.seek(0)
                if self.compressed:
                    with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                        yield from self._split(unzipped, raw)
                else:
                    yield from self._split(raw, raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableLog(f"cannot read {self.path.name}: {exc}") from exc

    def _split(self, stream: BinaryIO | gzip.GzipFile, raw: BinaryIO) -> Iterator[list[bytes]]:
        carry = b""
        position = 0
        while chunk := stream.read(self._chunk_size):
            self._sha.update(chunk)
            data = carry + chunk if carry else chunk
            # A CR split from its LF by a chunk boundary stays in ``carry`` and is joined here.
            if b"\r" in data:
                data = data.replace(b"\r\n", b"\n")
            lines = data.split(b"\n")
            carry = lines.pop()
            if self._on_progress is not None:
                done = raw.tell()
                self._on_progress(done - position)
                position = done
            if lines:
                yield lines
        if carry:
            yield [carry.removesuffix(b"\r")]
