"""What each ``FileFormat`` is on disk: its writer and its file extension (the content type a
file is served with follows from the extension, in ``storage.media``)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from cdnexport.domain.task import FileFormat
from cdnexport.export.csvfile import CsvDetailWriter
from cdnexport.export.parquetfile import ParquetDetailWriter
from cdnexport.export.plan import WorkbookPlan
from cdnexport.export.writer import WorkbookWriter, WriterFactory

#: The extension each format's files end with, without the dot.
EXTENSIONS: Final = {
    FileFormat.XLSX: "xlsx",
    FileFormat.CSV: "csv",
    FileFormat.CSV_GZ: "csv.gz",
    FileFormat.PARQUET: "parquet",
}


def extension(file_format: FileFormat) -> str:
    return EXTENSIONS[file_format]


def open_writer(
    file_format: FileFormat, path: Path, plan: WorkbookPlan, workbook: WriterFactory
) -> WorkbookWriter:
    """The writer the builder streams a task of ``file_format`` into; ``workbook`` makes the
    xlsx one (the deployment's choice of xlsx writer)."""
    if file_format is FileFormat.CSV:
        return CsvDetailWriter(path, plan)
    if file_format is FileFormat.CSV_GZ:
        return CsvDetailWriter(path, plan, gzip=True)
    if file_format is FileFormat.PARQUET:
        return ParquetDetailWriter(path, plan)
    return workbook(path)
