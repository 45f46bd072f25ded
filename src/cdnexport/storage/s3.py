"""S3-compatible object store on boto3: multipart upload of the worker's workbook file, and
presigned GET links (SigV4) that name the downloaded file.

Endpoint and keys come from the variables boto3 reads itself (``AWS_ENDPOINT_URL_S3`` or
``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``); the region from
``AWS_REGION``, which botocore leaves to the caller, else ``AWS_DEFAULT_REGION``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cdnexport.storage.base import StorageError
from cdnexport.storage.media import content_type

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

PART_SIZE = 16 * 1024 * 1024
_PLAIN_NAME = re.compile(r"^[\w.-]+$", re.ASCII)
_FAILURES = (BotoCoreError, ClientError, Boto3Error)


def s3_client(region: str | None = None) -> S3Client:
    """A client that signs with SigV4: without it, presigned URLs for a custom endpoint in
    us-east-1 use SigV2, which strict servers refuse."""
    config = Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"})
    return boto3.session.Session(region_name=region or None).client("s3", config=config)


def attachment(filename: str) -> str:
    """A Content-Disposition that saves as ``filename`` (RFC 6266, non-ASCII as RFC 5987)."""
    if _PLAIN_NAME.match(filename):
        return f'attachment; filename="{filename}"'
    fallback = re.sub(r"[^\w.-]", "_", filename, flags=re.ASCII)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3BlobStore:
    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        *,
        transfer: TransferConfig | None = None,
    ) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix
        self._transfer = transfer or TransferConfig(
            multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=4
        )

    def object_key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def put_file(self, key: str, source: Path, *, filename: str = "") -> int:
        size = source.stat().st_size
        # Kept on the object too: servers that ignore ResponseContentDisposition still name it.
        extra = {"ContentType": content_type(filename or key)}
        if filename:
            extra["ContentDisposition"] = attachment(filename)
        try:
            self._client.upload_file(
                str(source),
                self.bucket,
                self.object_key(key),
                ExtraArgs=extra,
                Config=self._transfer,
            )
        except _FAILURES as exc:
            raise StorageError(f"upload of {key} failed: {exc}") from exc
        source.unlink()
        return size

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except _FAILURES as exc:
            raise StorageError(f"delete of {key} failed: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"lookup of {key} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"lookup of {key} failed: {exc}") from exc
        return True

    def download_url(self, key: str, filename: str, now: int, ttl: int) -> tuple[str, int]:
        params = {
            "Bucket": self.bucket,
            "Key": self.object_key(key),
            "ResponseContentType": content_type(filename or key),
        }
        if filename:
            params["ResponseContentDisposition"] = attachment(filename)
        url = self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)
        return url, now + ttl
