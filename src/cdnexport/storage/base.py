"""The object-store protocol every storage back end implements."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class StorageError(OSError):
    """The object store failed to answer; an OSError, so the worker retries the export."""


class BlobStore(Protocol):
    def put_file(self, key: str, source: Path, *, filename: str = "") -> int:
        """Store ``source`` under ``key`` (replacing any object there); returns its size.

        The source file is consumed (moved or deleted). ``filename`` is the name a download
        saves as, kept with the object by stores that keep metadata.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def download_url(self, key: str, filename: str, now: int, ttl: int) -> tuple[str, int]:
        """A link that fetches the object without credentials, and when it expires."""
        ...
