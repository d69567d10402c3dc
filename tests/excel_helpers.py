"""Shared steps for the Excel tests: write bytes to a file, fill in a template the way a person would."""

import io
from pathlib import Path

from openpyxl import load_workbook

from flows.excel.importing import run_import


def save(tmp_path: Path, data: bytes, name="book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def edit(tmp_path: Path, data: bytes, fill, name="filled.xlsx") -> Path:
    """Open a template as Excel would (not write-only), let `fill(wb)` change it, save it."""
    wb = load_workbook(io.BytesIO(data))
    fill(wb)
    path = tmp_path / name
    wb.save(path)
    return path


def header_columns(ws, header_row=None) -> dict:
    """{header text without *: column number} of the sheet's header row (found as the importer finds it)."""
    for row in ws.iter_rows(min_row=header_row or 1, max_row=header_row or 10):
        labels = {str(c.value).rstrip("*"): c.column for c in row if c.value}
        if len(labels) >= 3:
            return labels | {"_row": row[0].row}
    raise AssertionError("no header row")


def rows_where(ws, column: int, value, start: int) -> list[int]:
    return [r for r in range(start, ws.max_row + 1) if ws.cell(r, column).value == value]


def imported(kind, path, user, *, commit=True):
    return run_import(kind, path, user, commit=commit)
