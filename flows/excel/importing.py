"""The import run shared by every workbook kind: read, check every row, preview, and apply all or nothing.

An importer reads its tables, then `plan`s: each row becomes new, changed, unchanged or an error (by sheet, row
and column), and the changes become a list of steps that call the services. `run_import` applies the steps only
when asked to (`commit=True`) and only if no row has an error, inside one transaction: a service refusing a step
rolls the whole import back and the refusal is reported at that row.
"""

from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from flows.excel import reading

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
PREVIEW_ROWS = 500  # the preview lists this many changed rows; counts cover them all


@dataclass
class CellError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self):
        where = f"{self.sheet}!{self.column}{self.row}" if self.row else self.sheet
        return f"{where}：{self.message}"


@dataclass
class Report:
    kind: str
    refused: str = ""
    counts: dict = field(default_factory=lambda: {NEW: 0, CHANGED: 0, UNCHANGED: 0})
    rows: list = field(default_factory=list)  # (sheet, row, status, summary) for new and changed rows
    errors: list = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.refused and not self.errors

    def add(self, sheet, row, status, summary):
        self.counts[status] += 1
        if status != UNCHANGED and len(self.rows) < PREVIEW_ROWS:
            self.rows.append((sheet, row, status, summary))

    def error(self, table_or_sheet, row, key_or_column, message):
        if isinstance(table_or_sheet, reading.Table):
            sheet, column = table_or_sheet.sheet, table_or_sheet.letters.get(key_or_column, "")
        else:
            sheet, column = table_or_sheet, key_or_column
        self.errors.append(CellError(sheet, row, column, str(message)))

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "refused": self.refused,
            "counts": self.counts,
            "rows": [list(r) for r in self.rows],
            "errors": [asdict(e) for e in self.errors],
            "applied": self.applied,
        }

    def lines(self) -> list[str]:
        """The row-level report as text (the management command prints it)."""
        if self.refused:
            return [_("Refused: %(reason)s") % {"reason": self.refused}]
        out = [
            _("new: %(new)s, changed: %(changed)s, unchanged: %(unchanged)s") % self.counts,
        ]
        out += [f"{sheet}!{row} [{status}] {summary}" for sheet, row, status, summary in self.rows]
        out += [str(e) for e in self.errors]
        return out


class Importer:
    """One workbook kind. Subclasses set `kind` and implement `read` and `plan`."""

    kind = ""

    def __init__(self, user, *, progress=None):
        self.user = user
        self.progress = progress or (lambda done, total=None: None)

    def read(self, wb) -> None:
        raise NotImplementedError

    def plan(self, report: Report) -> list:
        """Check every row into `report`; return the steps: (sheet, row, callable) applying one change each."""
        raise NotImplementedError

    def apply(self, steps: list, report: Report) -> None:
        total = len(steps)
        for n, (sheet, row, step) in enumerate(steps, 1):
            try:
                step()
            except (ValidationError, PermissionDenied) as exc:
                report.error(sheet, row, "", " ".join(getattr(exc, "messages", [str(exc)])))
                raise _RollBack from exc
            if n % 200 == 0:
                self.progress(n, total)


class _RollBack(Exception):
    pass


def errors_of(exc) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


def run_import(kind: str, path, user, *, commit: bool = False, progress=None, before_commit=None) -> Report:
    """Check the file and every row; with `commit`, apply everything or (on any error) nothing.
    `before_commit(report)` runs inside the import's transaction once every row is applied (a job marks itself
    done there, so that the import and its record commit together or not at all)."""
    from flows.excel.importers import IMPORTERS

    report = Report(kind)
    importer = IMPORTERS[kind](user, progress=progress)
    with translation.override("zh-hans"):
        try:
            wb = reading.open_workbook(path)
            try:
                importer.read(wb)
            finally:
                wb.close()
        except reading.Refused as exc:
            report.refused = exc.message
            return report
        try:
            with transaction.atomic():
                steps = importer.plan(report)
                if commit and report.ok:
                    importer.apply(steps, report)
                    report.applied = True
                    if before_commit:
                        before_commit(report)
                else:
                    transaction.set_rollback(True)
        except _RollBack:
            report.applied = False
    return report
