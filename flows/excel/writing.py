"""Building blocks of the write-only exports: title rows, (merged) headers, drop-downs, locked key columns,
print setup as offices print, and formula neutralisation of every text cell.

Write-only sheets write their properties (fit to page), views (the frozen pane), column widths and each row's
height when the row is appended: whatever is set later never reaches the file. So every export starts its sheets
with `printed_sheet`, which sets all of it before the first row, and `print_setup` refuses to run later."""

import io
import math
import unicodedata

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from flows.excel.cells import safe
from flows.selectors.audit_head import audit_head_text

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


TITLE_SIZE = 16
BODY_SIZE = 11


def row_height(size: float = BODY_SIZE, lines: int = 1) -> float:
    """Points a row needs for `lines` lines of a `size`-point font: Chinese fonts (Noto/Source Han Sans, SimSun,
    Microsoft YaHei) take about 1.45 times their size per line; a little room above and below."""
    return float(math.ceil(size * 1.5 * lines + 4))


def text_width(text) -> int:
    """Width of a text in column-width units (one Latin digit): Chinese characters and full-width forms take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text or ""))


def lines_needed(text, width: float, size: float = BODY_SIZE) -> int:
    """Lines a wrapped text takes in a cell `width` units wide, at `size` points."""
    usable = max(width - 1, 1) * BODY_SIZE / size
    return sum(max(1, math.ceil(text_width(part) / usable)) for part in str(text or "").split("\n"))


def sheet_width(ws, columns: int) -> float:
    """Total width of the first `columns` columns, as set on the sheet."""
    return sum(ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in range(1, columns + 1))


def _unwritten(ws):
    if getattr(ws, "_writer", None) is not None:  # a write-only sheet that has written its first row
        raise RuntimeError(f"sheet {ws.title}: page setup after the first row would not reach the file")


def title_rows(ws, title: str, subtitle: str, width: int) -> int:
    """A bold title and a subtitle, each merged across the table, as the sheet's first two rows (their heights
    set before they are written); returns how many rows were written."""
    _unwritten(ws)
    across = sheet_width(ws, width)
    ws.row_dimensions[1].height = row_height(TITLE_SIZE, lines_needed(title, across, TITLE_SIZE))
    ws.row_dimensions[2].height = row_height(BODY_SIZE, lines_needed(subtitle, across))
    head = WriteOnlyCell(ws, value=safe(title))
    head.font = Font(bold=True, size=TITLE_SIZE)
    head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.append([head])
    sub = WriteOnlyCell(ws, value=safe(subtitle))
    sub.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.append([sub])
    if width > 1:
        ws.merged_cells.add(f"A1:{get_column_letter(width)}1")
        ws.merged_cells.add(f"A2:{get_column_letter(width)}2")
    return 2


def top_aligned(ws, values, *, left=False):
    """Cells of a row whose text may wrap: all of them at the top, so a tall row still reads across. Text starts
    on the left; numbers stay right-aligned in a table, or go left too (`left`) in running text. Cells already
    made (an input cell, say) keep their fill and protection."""
    cells = []
    for value in values:
        cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value=safe(value))
        text = isinstance(cell.value, str)
        cell.alignment = Alignment(horizontal="left" if (text or left) else None, vertical="top", wrap_text=text)
        cells.append(cell)
    return cells


def fit_row(ws, row: int, values, columns: list, size: float = BODY_SIZE):
    """Set row `row`'s height (before it is written) to what its longest wrapped text needs in these widths."""
    values = [v.value if isinstance(v, Cell) else v for v in values]
    need = max((lines_needed(v, w, size) for v, w in zip(values, columns, strict=False) if v), default=1)
    if need > 1 or size > BODY_SIZE:
        ws.row_dimensions[row].height = row_height(size, need)


def wrapped_row(ws, row: int, values, columns: list, *, left=False):
    """Append the sheet's row `row` with its text wrapped in the column `columns` widths and the row as tall as
    its longest text needs (offices do not re-measure rows on opening; LibreOffice cuts the text instead)."""
    fit_row(ws, row, values, columns)
    ws.append(top_aligned(ws, values, left=left))


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
    """A4, fitted to the page width (as many pages down as it takes), centred, the header rows repeated on every
    printed page and the page number in the footer. Before the first row is written, or it is lost."""
    _unwritten(ws)
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_rows:  # a table: its header on every page, and its grid printed
        ws.print_title_rows = f"1:{header_rows}"
        ws.print_options.gridLines = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    # the audit chain's head when the sheet was made, on every printed page (verify_audit --expect SEQ:HASH)
    head = audit_head_text()
    if head:
        ws.oddFooter.left.text = head
        ws.oddFooter.left.size = 7


def printed_sheet(wb, name: str, *, columns: list, header_rows: int = 0, freeze: str | None = "", landscape=True):
    """A new sheet set up as offices print it, before any row is written: `columns` widths, A4 fitted to the width
    (landscape unless said otherwise), the first `header_rows` rows repeated on every page and the pane frozen
    below them (at `freeze`, e.g. "C5" to keep the names in view too; None for no pane)."""
    ws = wb.create_sheet(name)
    widths(ws, columns)
    if freeze == "" and header_rows:
        freeze = f"A{header_rows + 1}"
    if freeze:
        ws.freeze_panes = freeze
    print_setup(ws, header_rows=header_rows, landscape=landscape)
    return ws


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
    ws = printed_sheet(wb, "说明", columns=[75], freeze=None, landscape=False)
    ws.row_dimensions[1].height = row_height(14)
    head = WriteOnlyCell(ws, value="填写说明")
    head.font = Font(bold=True, size=14)
    ws.append([head])
    for row, line in enumerate(lines, 2):
        fit_row(ws, row, [line], [75])
        cell = WriteOnlyCell(ws, value=safe(line))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([cell])
    return ws
