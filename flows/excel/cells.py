"""Excel exports (openpyxl write-only). Text that a spreadsheet would run as a formula is written as text."""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """A cell value that can never be taken for a formula (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def token_list(*, title: str, group: str, batch: int, codes: list[str], ballot_url: str) -> bytes:
    """The list of voting codes of one batch, for distribution (one row per code)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("投票码")
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 60
    head = WriteOnlyCell(ws, value=safe(f"{title}（{group}，第{batch}批）"))
    head.font = Font(bold=True, size=14)
    ws.append([head])
    ws.append([safe(f"投票地址：{ballot_url}　每个投票码只能使用一次，请妥善分发。")])
    header = []
    for text in ("序号", "投票码", "扫码链接"):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    for n, code in enumerate(codes, 1):
        ws.append([n, safe(code), safe(f"{ballot_url}#{code}")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
