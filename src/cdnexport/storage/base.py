"""The object-store protocol every storage back end implements."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    def put_file(self, key: str, source: Path) -> int:
        """Store ``source`` under ``key`` (replacing any object there); returns its size.

        The source file is consumed (moved or deleted).
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def download_url(self, key: str, filename: str, now: int, ttl: int) -> tuple[str, int]:
        """A link that fetches the object without credentials, and when it expires."""
        ...
