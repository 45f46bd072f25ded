from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from cdnexport.usage.logs.reader import LogReader, UnreadableLog

CONTENT = b"first\nsecond\r\nthird\n\nlast without newline"
LINES = [b"first", b"second", b"third", b"", b"last without newline"]


def read(path: Path, chunk_size: int = 1 << 20) -> tuple[list[bytes], LogReader]:
    reader = LogReader(path, chunk_size=chunk_size)
    return [line for block in reader.blocks() for line in block], reader


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1 << 20])
def test_lines_survive_any_chunk_boundary_including_one_inside_crlf(
    tmp_path: Path, chunk_size: int
) -> None:
    path = tmp_path / "access.log"
    path.write_bytes(CONTENT)
    lines, reader = read(path, chunk_size)
    assert lines == LINES
    assert not reader.compressed


def test_gzip_is_told_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    packed = tmp_path / "access.log"  # gzip without the suffix
    packed.write_bytes(gzip.compress(CONTENT))
    plain = tmp_path / "plain.gz"  # plain text with the suffix
    plain.write_bytes(CONTENT)
    packed_lines, packed_reader = read(packed)
    plain_lines, plain_reader = read(plain)
    assert packed_lines == plain_lines == LINES
    assert packed_reader.compressed and not plain_reader.compressed


def test_the_digest_is_of_the_decompressed_content(tmp_path: Path) -> None:
    plain = tmp_path / "access.log.1"
    plain.write_bytes(CONTENT)
    packed = tmp_path / "access.log.2.gz"
    # Two gzip members, as `cat a.gz b.gz` makes: still one content.
    packed.write_bytes(gzip.compress(CONTENT[:10]) + gzip.compress(CONTENT[10:]))
    _, plain_reader = read(plain)
    packed_lines, packed_reader = read(packed)
    assert packed_lines == LINES
    assert plain_reader.hexdigest() == packed_reader.hexdigest()
    assert plain_reader.hexdigest() == hashlib.sha256(CONTENT).hexdigest()


def test_progress_reports_every_byte_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress(CONTENT * 1000))
    seen: list[int] = []
    reader = LogReader(path, seen.append, chunk_size=4096)
    assert sum(len(block) for block in reader.blocks()) == 4 * 1000 + 1
    assert sum(seen) == path.stat().st_size


def test_an_empty_file_has_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    lines, reader = read(path)
    assert lines == []
    assert reader.hexdigest() == hashlib.sha256(b"").hexdigest()


def test_a_truncated_gzip_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress(CONTENT * 100)[:-20])
    with pytest.raises(UnreadableLog, match=r"access\.log\.gz"):
        read(path)


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableLog):
        read(tmp_path / "gone.log")
