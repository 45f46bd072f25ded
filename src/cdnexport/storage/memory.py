"""In-memory object store for unit tests of code that stores workbooks."""

from __future__ import annotations

from pathlib import Path


class MemoryBlobStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_file(self, key: str, source: Path, *, filename: str = "") -> int:
        data = source.read_bytes()
        source.unlink()
        self.objects[key] = data
        return len(data)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def exists(self, key: str) -> bool:
        return key in self.objects

    def download_url(self, key: str, filename: str, now: int, ttl: int) -> tuple[str, int]:
        return f"memory://{key}?name={filename}&expires={now + ttl}", now + ttl
