"""Excel workbooks (.xlsx): the first sheet becomes CSV text, so that its header picks the
vendor layout (Scopus, WoS, Embase, ASReview ...) or the generic mapping, exactly as a CSV
export of the same table would."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from pathlib import Path
from typing import Any

from slr.errors import ImportRefused
from slr.importers.encoding import Bytes, DecodedText

_ZIP_SIGNATURE = b"PK\x03\x04"


def is_workbook(data: Bytes) -> bool:
    """A zip file holding an Excel workbook (a .docx or another zip is not one)."""
    if data[:4] != _ZIP_SIGNATURE:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(data[:]))) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year typed as a number: 2020, not 2020.0
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return str(value)


def workbook_text(path: Path) -> DecodedText:
    """The first sheet of a workbook as CSV text."""
    # here: openpyxl takes a quarter of a second to import, and few exports are workbooks
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise ImportRefused(
            f"{path.name} is a damaged Excel workbook ({type(error).__name__})",
            "open it in Excel and save it again, or export the results as CSV",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        width = 0  # the header's: empty cells after it are the sheet's, not the table's
        for row in sheet.iter_rows(values_only=True):
            cells = [_cell_text(value).replace("\r\n", "\n") for value in row]
            filled = max((i + 1 for i, cell in enumerate(cells) if cell), default=0)
            width = width or filled
            writer.writerow(cells[: max(width, filled)])
    finally:
        workbook.close()
    return DecodedText(buffer.getvalue(), "xlsx")
