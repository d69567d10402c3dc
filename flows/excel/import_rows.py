"""What every workbook import shares: the report (counts, the preview, errors by sheet, row and column) and the
base importer whose `plan` turns rows into steps that call the services (the run itself is `importing.run_import`).
"""

from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from flows.excel import reading
from flows.services.tasks import AlreadyHandled

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

    def check_lengths(self, report: Report) -> None:
        """Every text longer than its column's stored field takes, an error at its cell, before any row is planned
        (the database would refuse it only when the import is confirmed)."""
        for table in vars(self).values():
            if isinstance(table, reading.Table):
                for n, key, limit, length in table.too_long():
                    report.error(
                        table,
                        n,
                        key,
                        _("At most %(n)s characters; this cell has %(length)s.") % {"n": limit, "length": length},
                    )

    def plan(self, report: Report) -> list:
        """Check every row into `report`; return the steps: (sheet, row, callable) applying one change each."""
        raise NotImplementedError

    def apply(self, steps: list, report: Report) -> None:
        total = len(steps)
        for n, (sheet, row, step) in enumerate(steps, 1):
            try:
                step()
            except (ValidationError, PermissionDenied, AlreadyHandled) as exc:  # refused by the service
                report.error(sheet, row, "", errors_of(exc))
                raise RollBack from exc
            if n % 200 == 0:
                self.progress(n, total)


class RollBack(Exception):
    pass


def errors_of(exc) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))
