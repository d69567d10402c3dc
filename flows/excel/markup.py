"""The copy of a refused workbook with each bad cell marked in red and the reason in a comment."""

import io

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from flows.excel.reading import check_file

BAD = PatternFill("solid", fgColor="FFC7CE")
AUTHOR = "责任制系统"


def marked_copy(path, errors) -> bytes:
    """`errors`: dicts or objects with sheet, row, column, message. Rows without a column mark column A;
    errors about the whole sheet go on A1."""
    check_file(path)
    wb = load_workbook(path)
    by_cell: dict = {}
    for e in errors:
        get = e.get if isinstance(e, dict) else lambda k, e=e: getattr(e, k)
        if get("sheet") not in wb.sheetnames:
            continue
        ref = f"{get('column') or 'A'}{get('row') or 1}"
        by_cell.setdefault((get("sheet"), ref), []).append(get("message"))
    for (sheet, ref), messages in by_cell.items():
        cell = wb[sheet][ref]
        cell.fill = BAD
        comment = Comment("\n".join(messages), AUTHOR)
        comment.width, comment.height = 300, 40 + 20 * len(messages)
        cell.comment = comment
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
