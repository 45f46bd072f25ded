"""The content type a stored file is served with, from its name's extension."""

from __future__ import annotations

from typing import Final

XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Content types by file extension, longest first so that ``.csv.gz`` is not taken for ``.gz``.
#: A gzipped CSV is served as ``application/gzip``, not as CSV with ``Content-Encoding: gzip``,
#: which browsers would unpack while saving it under its ``.gz`` name.
_TYPES: Final = (
    (".csv.gz", "application/gzip"),
    (".xlsx", XLSX_TYPE),
    (".csv", "text/csv; charset=utf-8"),
    (".parquet", "application/vnd.apache.parquet"),
    (".pdf", "application/pdf"),
)


def content_type(filename: str) -> str:
    """The content type a stored file is served with, from its name's extension."""
    lower = filename.lower()
    for suffix, media_type in _TYPES:
        if lower.endswith(suffix):
            return media_type
    return "application/octet-stream"
