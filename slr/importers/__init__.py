"""Importers: one module per family of export formats, all producing the same Record.

Use `read_file` (bytes on disk to records and failures) or `parse_text` (decoded text).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import mmap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from slr.importers.encoding import Bytes, DecodedText, decode
from slr.importers.registry import FORMATS, Format, detect, get_format
from slr.importers.spreadsheet import is_workbook, workbook_text
from slr.models import ParseResult

# Each module registers its formats when imported.
_FAMILIES = (
    "ris",
    "tagged",
    "tagged_text",
    "bibtex",
    "csv_formats",
    "embase_csv",
    "xml_formats",
    "xml_records",
    "json_formats",
)
for _family in _FAMILIES:
    importlib.import_module(f"slr.importers.{_family}")


@dataclass(slots=True)
class FileImport:
    """One export file read from disk: its hash, decoding and what its parser returned."""

    path: Path
    sha256: str
    size: int
    decoded: DecodedText
    format: Format
    result: ParseResult


def parse_text(
    text: str,
    file_name: str = "",
    format_name: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> ParseResult:
    fmt = get_format(format_name) if format_name else detect(text, file_name)
    return fmt.parse(text, column_map)


@dataclass(slots=True)
class LoadedFile:
    """One export file read from disk, decoded and its format known, not parsed yet."""

    path: Path
    sha256: str
    size: int
    decoded: DecodedText
    format: Format


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[Bytes]:
    """A file's bytes, mapped rather than read: no copy of a large export in memory."""
    with path.open("rb") as file:
        try:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # empty, or a file system that cannot map it: read it
            yield file.read()
            return
        with mapped:
            yield mapped


def load_file(path: Path, format_name: str | None = None) -> LoadedFile:
    """Read, decode and detect one export file; raises ImportRefused for a whole file."""
    with _mapped(path) as data:
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
        # an Excel workbook is read as the CSV text of its first sheet
        decoded = workbook_text(path) if is_workbook(data) else decode(data, path.name)
    fmt = get_format(format_name) if format_name else detect(decoded.text, path.name)
    return LoadedFile(path, sha256, size, decoded, fmt)


def parse_loaded(loaded: LoadedFile, column_map: Mapping[str, str] | None = None) -> FileImport:
    """Parse a loaded file in one go; its text is dropped afterwards. Every warning is given
    the file's name."""
    decoded = loaded.decoded
    result = loaded.format.parse(decoded.text, column_map)
    result.warnings[:0] = decoded.warnings
    for warning in result.warnings:
        warning.file = loaded.path.name
    decoded.text = ""  # the records hold what is needed; the verbatim copy comes from `path`
    return FileImport(loaded.path, loaded.sha256, loaded.size, decoded, loaded.format, result)


def read_file(
    path: Path, format_name: str | None = None, column_map: Mapping[str, str] | None = None
) -> FileImport:
    """Read, decode, detect and parse one export file; raises ImportRefused for a whole file."""
    return parse_loaded(load_file(path, format_name), column_map)


__all__ = [
    "FORMATS",
    "FileImport",
    "Format",
    "LoadedFile",
    "load_file",
    "parse_loaded",
    "parse_text",
    "read_file",
]
