"""Writers of the extraction matrix: CSV, Markdown and XLSX (openpyxl)."""

from __future__ import annotations

import io
from pathlib import Path

from slr.cells import markdown_row, safe_csv_writer, xlsx_cell
from slr.tagging.matrix import Matrix

FORMATS = ("csv", "md", "xlsx")


def matrix_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow(matrix.columns)
    writer.writerows(matrix.rows)
    return out.getvalue()


def matrix_markdown(matrix: Matrix) -> str:
    lines = [
        markdown_row(matrix.columns),
        "|" + "|".join("---" for _ in matrix.columns) + "|",
    ]
    lines.extend(markdown_row(row) for row in matrix.rows)
    return "\n".join(lines) + "\n"


def write_xlsx(matrix: Matrix, path: Path) -> None:
    """One sheet, "Extraction": a bold frozen header row, filters, numbers kept as numbers."""
    # openpyxl is loaded only to write XLSX (a quarter of a second)
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Extraction"
    numeric = {matrix.columns.index(name) for name in ("id", "year") if name in matrix.columns}
    rows: list[list[object]] = [list(matrix.columns)]
    rows.extend(
        [
            int(value) if index in numeric and value.isdigit() else value
            for index, value in enumerate(row)
        ]
        for row in matrix.rows
    )
    for row_number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            if value == "":
                continue  # an empty cell, not an empty string
            cell = sheet.cell(row=row_number, column=column, value=xlsx_cell(value))
            if isinstance(value, str):
                # openpyxl would make "=..." a formula and "#N/A" an error code
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if matrix.rows:
        sheet.auto_filter.ref = sheet.dimensions
    widths = {"title": 60, "author_year": 24, "source": 30}
    for index, name in enumerate(matrix.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = widths.get(name, max(10, len(name) + 2))
        if name in ("title", "source") or name not in widths:
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)


def write_matrix(matrix: Matrix, path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        write_xlsx(matrix, path)
        return
    text = matrix_csv(matrix) if fmt == "csv" else matrix_markdown(matrix)
    path.write_text(text, encoding="utf-8", newline="")
