"""Building blocks of the write-only exports: title rows, (merged) headers, drop-downs, locked key columns,
print setup as offices print, and formula neutralisation of every text cell."""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from flows.excel.cells import safe

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")
UNLOCKED = Protection(locked=False)


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def title_rows(ws, title: str, subtitle: str, width: int) -> int:
    """A bold title and a subtitle, each merged across the table; returns how many rows were written."""
    head = WriteOnlyCell(ws, value=safe(title))
    head.font = Font(bold=True, size=16)
    head.alignment = Alignment(horizontal="center")
    ws.append([head])
    sub = WriteOnlyCell(ws, value=safe(subtitle))
    sub.alignment = Alignment(horizontal="center")
    ws.append([sub])
    if width > 1:
        ws.merged_cells.add(f"A1:{get_column_letter(width)}1")
        ws.merged_cells.add(f"A2:{get_column_letter(width)}2")
    return 2


def header_row(ws, labels, *, required=()):
    cells = []
    for text in labels:
        cell = WriteOnlyCell(ws, value=text + ("*" if text in required else ""))
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cells.append(cell)
    ws.append(cells)


def widths(ws, values):
    for i, w in enumerate(values, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def print_setup(ws, *, header_rows: int, landscape=True):
    """A4, fitted to the page width, the header repeated on every printed page."""
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"1:{header_rows}"
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def drop_down(ws, options: list[str], column: int, first_row: int, last_row: int, *, prompt=""):
    """A list validation on one column; the options go in the formula (short lists only)."""
    text = ",".join(o.replace(",", "，") for o in options)
    dv = DataValidation(type="list", formula1=f'"{text}"', allow_blank=True, showDropDown=False)
    dv.error, dv.errorTitle = "请从下拉列表中选择", "无效的值"
    if prompt:
        dv.prompt = prompt
    letter = get_column_letter(column)
    dv.add(f"{letter}{first_row}:{letter}{max(last_row, first_row)}")
    ws.data_validations.append(dv)


def decimal_range(ws, column: int, rows_by_max: dict):
    """Points between 0 and each row's maximum: one validation per distinct maximum."""
    letter = get_column_letter(column)
    for maximum, rows in rows_by_max.items():
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=str(maximum), allow_blank=True)
        dv.error, dv.errorTitle = f"请输入 0 至 {maximum} 之间的分数", "分数超出范围"
        for r in rows:
            dv.add(f"{letter}{r}")
        ws.data_validations.append(dv)


def protect(ws):
    """Lock the sheet (no password: it guards against slips, not people); input cells are unlocked one by one."""
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    ws.protection.autoFilter = False


def input_cell(ws, value):
    cell = WriteOnlyCell(ws, value=safe(value))
    cell.protection = UNLOCKED
    cell.fill = INPUT_FILL
    return cell


def instructions(wb, lines: list[str]):
    ws = wb.create_sheet("说明")
    ws.column_dimensions["A"].width = 110
    head = WriteOnlyCell(ws, value="填写说明")
    head.font = Font(bold=True, size=14)
    ws.append([head])
    for line in lines:
        cell = WriteOnlyCell(ws, value=safe(line))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([cell])
    return ws
