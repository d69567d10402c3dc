"""Opening an uploaded workbook safely, and reading its cells the way offices actually fill them in.

`check_file` refuses a hostile or unreadable file before any parser sees it: not an xlsx, an old .xls, a
password-protected (encrypted OLE) file, a zip bomb (the archive's declared uncompressed size and entry count are
checked first), an XML bomb (a DOCTYPE or entity declaration in any part), a macro-enabled file, a file over the
size limit, a sheet that claims more rows than the limit (thousands of empty formatted rows).

The cell readers normalise what people type: full-width letters, digits and spaces, trailing spaces, numbers stored
as text, dates as Excel serials or as text (2026年3月1日, 2026-03-01, 2026/3/1).
"""

import datetime
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from flows.domain.numbers import plain_decimal
from flows.excel.cells import FORMULA_STARTS

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
MACRO_PARTS = ("xl/vbaProject.bin",)
BLANK_ROWS_BEFORE_STOP = 1000  # a run of this many empty rows ends the table (formatted but empty rows)
HEADER_SEARCH_ROWS = 20  # title rows above the header are allowed


class Refused(Exception):
    """The file is refused as a whole; nothing was read into the database."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def limits() -> dict:
    return {
        "bytes": getattr(settings, "EXCEL_IMPORT_MAX_BYTES", 20 * 1024 * 1024),
        "uncompressed": getattr(settings, "EXCEL_IMPORT_MAX_UNCOMPRESSED", 400 * 1024 * 1024),
        "entries": getattr(settings, "EXCEL_IMPORT_MAX_ENTRIES", 2000),
        "rows": getattr(settings, "EXCEL_IMPORT_MAX_ROWS", 200_000),
    }


def check_file(path) -> None:
    """Refuse a file that is not a plain, safe .xlsx workbook, before openpyxl parses anything."""
    lim = limits()
    with open(path, "rb") as fh:
        head = fh.read(8)
        fh.seek(0, 2)
        size = fh.tell()
    if size > lim["bytes"]:
        raise Refused(
            _("The file is %(size)s MB, over the limit of %(limit)s MB. Split it into smaller workbooks.")
            % {"size": round(size / 1048576, 1), "limit": round(lim["bytes"] / 1048576, 1)}
        )
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as fh:
            data = fh.read()
        if ENCRYPTED_MARK in data:
            raise Refused(_("The workbook is protected by a password. Remove the password in Excel and upload again."))
        raise Refused(
            _("This is an old Excel 97-2003 (.xls) file. Save it as an Excel workbook (.xlsx) and upload it.")
        )
    if not head.startswith(ZIP_MAGIC):
        raise Refused(_("This is not an Excel workbook (.xlsx)."))
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise Refused(_("The workbook is damaged and cannot be opened.")) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > lim["entries"]:
            raise Refused(
                _("The workbook holds %(n)s parts, more than a genuine workbook does; it is refused.")
                % {"n": len(infos)}
            )
        total = sum(i.file_size for i in infos)
        if total > lim["uncompressed"]:
            raise Refused(
                _("The workbook would unpack to %(size)s MB, more than the limit of %(limit)s MB; it is refused.")
                % {"size": total // 1048576, "limit": lim["uncompressed"] // 1048576}
            )
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                raise Refused(
                    _("This is an OpenDocument spreadsheet (.ods). Save it as an Excel workbook (.xlsx) and upload it.")
                )
            if "xl/workbook.bin" in names:
                raise Refused(_("Binary workbooks (.xlsb) are not accepted. Save it as an Excel workbook (.xlsx)."))
            raise Refused(_("This is not an Excel workbook (.xlsx)."))
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        if any(p in names for p in MACRO_PARTS) or b"macroEnabled" in content_types:
            raise Refused(_("The workbook contains macros (.xlsm). Save it as a plain Excel workbook (.xlsx)."))
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                with archive.open(info) as part:
                    start = part.read(4096)
                if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                    raise Refused(
                        _("The workbook contains XML entity declarations, which Excel never writes; it is refused.")
                    )


def open_workbook(path):
    """The checked file, opened read-only with cached values (never formulas). A formula whose result the file does
    not keep (a workbook written by a program, never saved by Excel or WPS) would read as an empty cell and empty a
    stored value on import: such a file is refused, its cells named."""
    check_file(path)
    try:
        unsaved = formulas_without_results(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a malformed part
        raise Refused(_("The workbook cannot be read: %(error)s") % {"error": exc.__class__.__name__}) from None
    if unsaved:
        raise Refused(
            _(
                "Cells %(cells)s hold formulas whose results are not saved in the file, so their values cannot be "
                "read. Open the workbook in Excel or WPS and save it, or paste the values in place of the formulas, "
                "then upload it again."
            )
            % {"cells": "、".join(unsaved)}
        )
    return workbook


FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def formulas_without_results(path, *, at_most: int = 5) -> list[str]:
    """The cells (“组织!C3”) holding a formula with no cached result, at most `at_most` of them. Only a workbook
    whose sheets hold a formula at all is read a second time, with its formulas."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(_holds_formula(archive, name) for name in sheets):
            return []
    with_formulas = load_workbook(path, read_only=True, data_only=False)
    with_values = load_workbook(path, read_only=True, data_only=True)
    try:
        return _unsaved_cells(with_formulas, with_values, at_most)
    finally:
        with_formulas.close()
        with_values.close()


def _unsaved_cells(with_formulas, with_values, at_most: int) -> list[str]:
    found = []
    for sheet, values in zip(with_formulas.worksheets, with_values.worksheets, strict=True):
        formulas = {
            (cell.row, cell.column)
            for row in sheet.iter_rows()
            for cell in row
            if getattr(cell, "data_type", None) == "f"
        }
        if not formulas:
            continue
        kept = {
            (cell.row, cell.column)
            for row in values.iter_rows()
            for cell in row
            if (getattr(cell, "row", None), getattr(cell, "column", None)) in formulas and cell.value is not None
        }
        for r, c in sorted(formulas - kept):
            found.append(f"{sheet.title}!{get_column_letter(c)}{r}")
            if len(found) >= at_most:
                return found
    return found


def _holds_formula(archive, name) -> bool:
    tail = b""
    with archive.open(name) as part:
        while chunk := part.read(1 << 16):
            if FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-8:]
    return False


# ---- cell values ---------------------------------------------------------------------------------------

SPACES = re.compile(r"[\s\u3000\u00a0]+")


def text(value) -> str:
    """Free text: trimmed (full-width and non-breaking spaces too), internal runs of spaces kept as one."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    value = str(value)
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        value = value[1:]  # our own exports write formula-like text with a leading apostrophe (exporters.safe)
    return SPACES.sub(" ", value).strip()


def code(value) -> str:
    """A code or user name: full-width letters and digits made half-width, all spaces removed."""
    return SPACES.sub("", unicodedata.normalize("NFKC", text(value)))


def label(value) -> str:
    """A header or choice label as typed: half-width, no spaces, no required-marks."""
    return code(value).replace("*", "").replace("＊", "")


def number(value) -> Decimal | None:
    """A number, also when stored as text (全角 digits, thousands commas, a trailing 分); `ValueError` for
    anything that is not a plain decimal (NaN, infinities, exponents, hexadecimal: see `domain.numbers`)."""
    if isinstance(value, str):
        return plain_decimal(code(value).replace(",", "").removesuffix("分"))
    number = plain_decimal(value)
    return number.normalize() if isinstance(value, (float, Decimal)) else number


DATE_TEXT = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")


def date(value) -> datetime.date | None:
    """A date: a date cell, an Excel serial number, or text such as 2026年3月1日, 2026-03-01, 2026/3/1."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return from_excel(value).date()
        raise ValueError
    t = code(value)
    if not t:
        return None
    if t.isdigit() and len(t) <= 6:  # a serial stored as text
        return from_excel(int(t)).date()
    m = DATE_TEXT.match(t)
    if not m:
        raise ValueError(t)
    return datetime.date(int(m[1]), int(m[2]), int(m[3]))


def yes_no(value) -> bool | None:
    t = label(value)
    if t in ("", None):
        return None
    if t in ("是", "Y", "y", "YES", "yes", "1", "TRUE", "True", "√", "✓"):
        return True
    if t in ("否", "N", "n", "NO", "no", "0", "FALSE", "False", "×"):
        return False
    raise ValueError(t)


# ---- tables ------------------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    aliases: tuple = ()
    required: bool = False
    max_length: int | None = None  # the stored field's length: a longer cell is an error of the check, at its row

    def matches(self, header: str) -> bool:
        return header == label(self.label) or header in {label(a) for a in self.aliases}


def field_length(model, name: str) -> int:
    """The length a model's text field stores (for `Column.max_length`)."""
    return model._meta.get_field(name).max_length


@dataclass
class Table:
    """The rows of one sheet under its header, as {key: raw value}; `row` is the 1-based sheet row."""

    sheet: str
    header_row: int
    letters: dict  # key -> column letter, for error reports
    rows: list = field(default_factory=list)  # (row_number, {key: value})
    max_lengths: dict = field(default_factory=dict)  # key -> the longest text its column takes

    def too_long(self):
        """(row, key, limit, length) of each text longer than its column takes."""
        for n, rec in self.rows:
            for key, limit in self.max_lengths.items():
                length = len(text(rec.get(key)))
                if length > limit:
                    yield n, key, limit, length


def read_table(wb, sheet_names, columns: list[Column], *, optional=False, progress=None) -> Table | None:
    """Find the sheet (by name, else the first whose header fits) and its header row; read the rows under it."""
    candidates = [wb[n] for n in sheet_names if n in wb.sheetnames] or [
        ws for ws in wb.worksheets if ws.title not in ("说明", "填写说明")
    ]
    max_rows = limits()["rows"]
    for ws in candidates:
        try:
            declared = ws.max_row
        except Exception:  # noqa: BLE001 - an unsized sheet
            declared = None
        if declared and declared > max_rows:
            raise Refused(
                _(
                    "Sheet “%(sheet)s” claims %(n)s rows, more than the limit of %(limit)s. "
                    "Delete the empty formatted rows below the table and upload again."
                )
                % {"sheet": ws.title, "n": declared, "limit": max_rows}
            )
        ws.reset_dimensions()  # LibreOffice, WPS and others often write a wrong dimension: read every row
        found = _read_sheet(ws, columns, progress=progress)
        if found is not None:
            return found
    if optional:
        return None
    raise Refused(
        _("No sheet has the header row this import needs. Required columns: %(cols)s. Use the template.")
        % {"cols": "、".join(c.label for c in columns if c.required)}
    )


def _read_sheet(ws, columns, *, progress=None) -> Table | None:
    rows = ws.iter_rows(values_only=True)
    mapping = None
    header_row = 0
    for n, values in enumerate(rows, 1):
        if n > HEADER_SEARCH_ROWS:
            return None
        labels = [label(v) for v in values]
        found = {}
        for i, h in enumerate(labels):
            for c in columns:
                if c.key not in found and h and c.matches(h):
                    found[c.key] = i
        if all(c.key in found for c in columns if c.required):
            mapping, header_row = found, n
            break
    if mapping is None:
        return None
    table = Table(ws.title, header_row, {k: get_column_letter(i + 1) for k, i in mapping.items()})
    table.max_lengths = {c.key: c.max_length for c in columns if c.max_length and c.key in mapping}
    blank_run = 0
    for n, values in enumerate(rows, header_row + 1):
        record = {k: (values[i] if i < len(values) else None) for k, i in mapping.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in record.values()):
            blank_run += 1
            if blank_run >= BLANK_ROWS_BEFORE_STOP:
                break
            continue
        blank_run = 0
        table.rows.append((n, record))
        if progress and len(table.rows) % 5000 == 0:
            progress(len(table.rows))
    return table
