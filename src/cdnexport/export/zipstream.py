"""A write-only zip container whose entries are deflated with ISA-L as they are streamed.

Hand-written because ``zipfile`` can only deflate with the stdlib zlib, which at level 1 runs at a
quarter of ISA-L's speed and is the bottleneck of a fast xlsx writer. A streamed entry's local
header is patched in place once its sizes are known, so no data descriptors are needed, and ZIP64
records appear only where a size, offset or count needs them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from isal import isal_zlib

#: Sizes and offsets at or above this need ZIP64 records.
ZIP32_LIMIT: Final = 0xFFFFFFFF
#: A stored (uncompressed) deflate block holds at most this many bytes.
STORED_BLOCK_MAX: Final = 0xFFFF

_LOCAL: Final = struct.Struct("<IHHHHHIIIHH")
_CENTRAL: Final = struct.Struct("<IHHHHHHIIIHHHHHII")
_END: Final = struct.Struct("<IHHHHIIH")
_END64: Final = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64: Final = struct.Struct("<IIQI")
_ZIP64_LOCAL_EXTRA: Final = struct.Struct("<HHQQ")
_STORED_HEADER: Final = struct.Struct("<BHH")

_DEFLATED: Final = 8
_VERSION_20: Final = 20
_VERSION_ZIP64: Final = 45
#: 1980-01-01 00:00, the earliest DOS date: files are byte-identical for identical input.
_DOS_TIME: Final = 0
_DOS_DATE: Final = (0 << 9) | (1 << 5) | 1
_ZIP64_SLOT: Final = _ZIP64_LOCAL_EXTRA.size
#: Four empty, non-final stored blocks: what fills the ZIP64 slot of a local header when unused.
_SLOT_PADDING: Final = _STORED_HEADER.pack(0, 0, 0xFFFF) * 4


@dataclass(frozen=True, slots=True)
class _Entry:
    name: bytes
    offset: int
    crc: int
    compressed: int
    uncompressed: int


class ZipStreamWriter:
    """Writes a zip file at ``path``: whole entries, or entries streamed chunk by chunk.

    ``zip64_limit`` lowers the size at which ZIP64 records are used, so tests can exercise them
    without writing gigabytes.
    """

    def __init__(self, path: Path, *, level: int = 1, zip64_limit: int = ZIP32_LIMIT) -> None:
        self._file = path.open("wb")
        self._level = level
        self._zip64_limit = zip64_limit
        self._entries: list[_Entry] = []
        self._open: StreamedEntry | None = None
        self._closed = False

    def write_entry(self, name: str, data: bytes) -> None:
        """Add one entry whose content is all at hand."""
        entry = self.open_entry(name)
        entry.write(data)
        entry.finish()

    def open_entry(self, name: str, prefix_size: int = 0) -> StreamedEntry:
        """Start an entry written in chunks; its first ``prefix_size`` bytes come at ``finish``."""
        if self._closed:
            raise ValueError("the zip file is closed")
        if self._open is not None and not self._open.finished:
            raise RuntimeError(f"entry {self._open.name!r} is still open")
        if not 0 <= prefix_size <= STORED_BLOCK_MAX:
            raise ValueError(f"a deferred prefix holds 0..{STORED_BLOCK_MAX} bytes")
        compressor = isal_zlib.compressobj(self._level, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)
        self._open = StreamedEntry(
            self._file, name, prefix_size, compressor, self._zip64_limit, self._entries.append
        )
        return self._open

    def close(self) -> None:
        """Write the central directory and close the file."""
        if self._closed:
            return
        if self._open is not None and not self._open.finished:
            raise RuntimeError(f"entry {self._open.name!r} is still open")
        self._closed = True
        with self._file:
            self._write_central_directory()

    def abort(self) -> None:
        """Close the file without finishing it, after a failure."""
        self._closed = True
        self._file.close()

    def _needs_zip64(self, *values: int) -> bool:
        return any(value >= self._zip64_limit for value in values)

    def _write_central_directory(self) -> None:
        write = self._file.write
        start = self._file.tell()
        for entry in self._entries:
            write(self._central_record(entry))
        size = self._file.tell() - start
        count = len(self._entries)
        if count >= 0xFFFF or self._needs_zip64(start, size):
            end64 = self._file.tell()
            record = (_VERSION_ZIP64, _VERSION_ZIP64, 0, 0, count, count, size, start)
            write(_END64.pack(0x06064B50, _END64.size - 12, *record))
            write(_LOCATOR64.pack(0x07064B50, 0, end64, 1))
            write(_END.pack(0x06054B50, 0, 0, 0xFFFF, 0xFFFF, ZIP32_LIMIT, ZIP32_LIMIT, 0))
        else:
            write(_END.pack(0x06054B50, 0, 0, count, count, size, start, 0))

    def _central_record(self, entry: _Entry) -> bytes:
        # The ZIP64 extra holds exactly the fields whose 32-bit slot is saturated, in this order.
        extra: list[int] = []
        fields: list[int] = []
        for value in (entry.uncompressed, entry.compressed, entry.offset):
            saturated = self._needs_zip64(value)
            if saturated:
                extra.append(value)
            fields.append(ZIP32_LIMIT if saturated else value)
        extra_bytes = struct.pack(f"<HH{len(extra)}Q", 1, 8 * len(extra), *extra) if extra else b""
        version = _VERSION_ZIP64 if extra else _VERSION_20
        uncompressed, compressed, offset = fields
        header = _CENTRAL.pack(
            0x02014B50,
            version,
            version,
            0,
            _DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            entry.crc,
            compressed,
            uncompressed,
            len(entry.name),
            len(extra_bytes),
            0,
            0,
            0,
            0,
            offset,
        )
        return header + entry.name + extra_bytes


class StreamedEntry:
    """One entry being deflated into the file; only one is open per zip at a time.

    Space for the local header, a ZIP64 extra and a stored deflate block holding the deferred
    prefix is reserved up front; ``finish`` fills it in. Without ZIP64 the extra's 20 bytes become
    four empty stored blocks, which leave the entry's content unchanged.
    """

    def __init__(
        self,
        file: BinaryIO,
        name: str,
        prefix_size: int,
        compressor: isal_zlib.Compress,
        zip64_limit: int,
        on_finish: Callable[[_Entry], None],
    ) -> None:
        self.name = name
        self.finished = False
        self._file = file
        self._encoded_name = name.encode("utf-8")
        self._prefix_size = prefix_size
        self._compressor = compressor
        self._zip64_limit = zip64_limit
        self._on_finish = on_finish
        self._offset = file.tell()
        self._crc = 0
        self._uncompressed = 0
        self._compressed = 0
        stored = _STORED_HEADER.size + prefix_size if prefix_size else 0
        file.write(bytes(_LOCAL.size + len(self._encoded_name) + _ZIP64_SLOT + stored))

    def write(self, data: bytes | memoryview) -> None:
        """Deflate ``data`` onto the end of the entry."""
        if self.finished:
            raise ValueError(f"entry {self.name!r} is finished")
        self._crc = isal_zlib.crc32(data, self._crc)
        self._uncompressed += len(data)
        self._emit(self._compressor.compress(data))

    def finish(self, prefix: bytes = b"") -> None:
        """Flush the deflate stream, then fill in the local header and the deferred prefix."""
        if self.finished:
            raise ValueError(f"entry {self.name!r} is finished")
        if len(prefix) != self._prefix_size:
            raise ValueError(f"prefix must be {self._prefix_size} bytes, got {len(prefix)}")
        self.finished = True
        self._emit(self._compressor.flush())
        crc = isal_zlib.crc32_combine(isal_zlib.crc32(prefix), self._crc, self._uncompressed)
        uncompressed = len(prefix) + self._uncompressed
        stored = b""
        if prefix:
            stored = _STORED_HEADER.pack(0, len(prefix), len(prefix) ^ 0xFFFF) + prefix
        compressed = len(stored) + self._compressed
        if max(uncompressed, compressed + _ZIP64_SLOT) >= self._zip64_limit:
            version, sizes = _VERSION_ZIP64, (ZIP32_LIMIT, ZIP32_LIMIT)
            extra = _ZIP64_LOCAL_EXTRA.pack(1, 16, uncompressed, compressed)
            padding = b""
        else:
            compressed += _ZIP64_SLOT
            version, sizes = _VERSION_20, (compressed, uncompressed)
            extra = b""
            padding = _SLOT_PADDING
        header = _LOCAL.pack(
            0x04034B50,
            version,
            0,
            _DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            crc,
            *sizes,
            len(self._encoded_name),
            len(extra),
        )
        end = self._file.tell()
        self._file.seek(self._offset)
        self._file.write(header + self._encoded_name + extra + padding + stored)
        self._file.seek(end)
        self._on_finish(_Entry(self._encoded_name, self._offset, crc, compressed, uncompressed))

    def _emit(self, data: bytes) -> None:
        if data:
            self._file.write(data)
            self._compressed += len(data)
