"""The zip container of the fast writer, read back with the stdlib's ``zipfile``."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from cdnexport.export.zipstream import ZipStreamWriter


def read_all(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_whole_and_streamed_entries_read_back_in_order(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    archive = ZipStreamWriter(path)
    archive.write_entry("first.txt", b"hello")
    entry = archive.open_entry("dir/streamed.xml")
    for index in range(100):
        entry.write(f"<row>{index}</row>".encode())
    entry.finish()
    archive.write_entry("empty", b"")
    archive.close()
    assert read_all(path) == {
        "first.txt": b"hello",
        "dir/streamed.xml": b"".join(f"<row>{i}</row>".encode() for i in range(100)),
        "empty": b"",
    }


def test_a_deferred_prefix_comes_first_and_counts_in_the_crc(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    archive = ZipStreamWriter(path)
    entry = archive.open_entry("sheet.xml", prefix_size=6)
    entry.write(b" body" * 1000)
    entry.finish(b"<head>")
    archive.close()
    assert read_all(path)["sheet.xml"] == b"<head>" + b" body" * 1000


def test_the_prefix_must_fill_its_room(tmp_path: Path) -> None:
    archive = ZipStreamWriter(tmp_path / "a.zip")
    entry = archive.open_entry("x", prefix_size=4)
    with pytest.raises(ValueError, match="prefix must be 4 bytes"):
        entry.finish(b"abc")
    entry.finish(b"abcd")
    with pytest.raises(ValueError, match=r"0\.\.65535 bytes"):
        archive.open_entry("y", prefix_size=70_000)
    archive.close()


def test_one_entry_is_open_at_a_time(tmp_path: Path) -> None:
    archive = ZipStreamWriter(tmp_path / "a.zip")
    entry = archive.open_entry("a")
    with pytest.raises(RuntimeError, match="still open"):
        archive.open_entry("b")
    with pytest.raises(RuntimeError, match="still open"):
        archive.close()
    entry.finish()
    with pytest.raises(ValueError, match="finished"):
        entry.write(b"late")
    archive.close()
    archive.close()
    with pytest.raises(ValueError, match="closed"):
        archive.open_entry("c")


def test_zip64_records_when_sizes_and_offsets_pass_the_limit(tmp_path: Path) -> None:
    # A low limit makes every size and offset past 100 bytes take the ZIP64 path.
    path = tmp_path / "a.zip"
    archive = ZipStreamWriter(path, zip64_limit=100)
    archive.write_entry("small", b"x")
    entry = archive.open_entry("big", prefix_size=3)
    entry.write(bytes(range(256)) * 50)
    entry.finish(b"abc")
    archive.write_entry("late", b"after the limit")
    archive.close()
    assert read_all(path) == {
        "small": b"x",
        "big": b"abc" + bytes(range(256)) * 50,
        "late": b"after the limit",
    }
    data = path.read_bytes()
    assert b"PK\x06\x06" in data  # ZIP64 end of central directory
    assert b"PK\x06\x07" in data  # and its locator
    with zipfile.ZipFile(path) as archive_read:
        big = archive_read.getinfo("big")
        assert big.file_size == 3 + 256 * 50
        # The local header of a ZIP64 entry carries its sizes in the ZIP64 extra field.
        local = data[big.header_offset : big.header_offset + 30]
        assert struct.unpack("<II", local[18:26]) == (0xFFFFFFFF, 0xFFFFFFFF)


def test_without_zip64_the_local_header_holds_the_sizes(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    archive = ZipStreamWriter(path)
    entry = archive.open_entry("s", prefix_size=2)
    entry.write(b"z" * 10_000)
    entry.finish(b"ab")
    archive.close()
    data = path.read_bytes()
    assert b"PK\x06\x06" not in data
    with zipfile.ZipFile(path) as archive_read:
        info = archive_read.getinfo("s")
    local = data[info.header_offset : info.header_offset + 30]
    compressed, uncompressed = struct.unpack("<II", local[18:26])
    assert (compressed, uncompressed) == (info.compress_size, 10_002)
    assert struct.unpack("<H", local[28:30]) == (0,)  # no extra field
    assert local[8:10] == b"\x08\x00"  # deflated


def test_identical_input_gives_identical_bytes(tmp_path: Path) -> None:
    for name in ("a.zip", "b.zip"):
        archive = ZipStreamWriter(tmp_path / name)
        archive.write_entry("x", b"same")
        archive.close()
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
