"""How a value is written into a cell of a spreadsheet (CSV, TSV, XLSX) or of a Markdown table.

One place for both, imported by every writer: record fields, tags, notes, reasons and file names
are text from exports and people, and a cell that reaches a spreadsheet or a rendered page must
not become a formula, a link or markup there.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

# OWASP's CSV injection list (=, +, -, @, tab, CR), plus LF and the full-width forms some
# spreadsheets (Excel in East Asian locales) also read as the start of a formula; also after
# leading spaces or control characters, which a spreadsheet or a later cleaning may drop.
_FORMULA_START = re.compile(r"[\t\r\n]|[\s\x00-\x1f]*[=+\-@＝＋－＠]")


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe, so that it
    shows as text and runs nothing. Other values (ints, floats: real numbers) are kept."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class _Sink(Protocol):
    def write(self, text: str, /) -> Any: ...


# csv quotes a cell holding "\n" (our line end) but not a lone "\r", which spreadsheets read as
# the end of the row: line breaks inside a cell are written as "\n"
_CARRIAGE_RETURN = re.compile(r"\r\n?")


def _csv_cell(value: object) -> object:
    value = safe_cell(value)
    return _CARRIAGE_RETURN.sub("\n", value) if isinstance(value, str) else value


class SafeCsvWriter:
    """csv.writer whose every cell goes through `safe_cell` (header rows too: they are
    constants, unchanged by it), with its line breaks as "\n" (quoted)."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([_csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(handle: _Sink, delimiter: str = ",") -> SafeCsvWriter:
    """The writer of every CSV (or, with a tab delimiter, TSV) file slr writes."""
    return SafeCsvWriter(csv.writer(handle, delimiter=delimiter, lineterminator="\n"))


# characters XML 1.0, and so XLSX, cannot hold (openpyxl refuses them)
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_cell(value: object) -> object:
    """A value for an XLSX cell: text escaped as in a CSV (`safe_cell`) and without the
    characters XLSX cannot hold; numbers unchanged. The writer must still store text as a
    string cell (data_type "s"): openpyxl makes "=..." a formula and "#N/A" an error code."""
    if isinstance(value, str):
        return safe_cell(_XLSX_ILLEGAL.sub("", value))
    return value


# Markdown: HTML's three specials as entities (Markdown renderers that ignore a backslash before
# them would pass raw HTML through), the table's pipe and Markdown's own markup characters
# (links, code, emphasis) behind a backslash.
_MARKDOWN_SPECIAL = re.compile(r"[&<>|\\\[\]`*_]")
_MARKDOWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_cell(value: object) -> str:
    """Text for one cell of a Markdown table: on one line (line breaks and runs of white space
    become one space) and inert (no HTML, link, code or emphasis survives)."""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(
        lambda m: _MARKDOWN_ESCAPES.get(m.group(0), "\\" + m.group(0)), text
    )


def markdown_row(values: Iterable[object]) -> str:
    """One table row: `| a | b |` with every cell escaped."""
    return "| " + " | ".join(markdown_cell(value) for value in values) + " |"
