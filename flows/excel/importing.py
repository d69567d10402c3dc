"""The import run shared by every workbook kind: read, check every row, preview, and apply all or nothing.

An importer reads its tables, then `plan`s: each row becomes new, changed, unchanged or an error (by sheet, row
and column), and the changes become a list of steps that call the services. `run_import` applies the steps only
when asked to (`commit=True`) and only if no row has an error, inside one transaction: a service refusing a step
rolls the whole import back and the refusal is reported at that row.
"""

import logging

from django.db import DatabaseError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from flows.excel import reading
from flows.excel.import_rows import Report, RollBack
from flows.excel.importers import IMPORTERS

logger = logging.getLogger(__name__)


def run_import(kind: str, path, user, *, commit: bool = False, progress=None, before_commit=None) -> Report:
    """Check the file and every row; with `commit`, apply everything or (on any error) nothing.
    `before_commit(report)` runs inside the import's transaction once every row is applied (a job marks itself
    done there, so that the import and its record commit together or not at all)."""
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
        except (DatabaseError, MemoryError):
            raise  # not the file's fault: the job is run again
        except Exception as exc:  # noqa: BLE001 - a part openpyxl cannot parse (a number cell holding "0x10"…)
            logger.warning("workbook %s not readable", path, exc_info=True)
            report.refused = _("The workbook cannot be read: %(error)s") % {"error": exc.__class__.__name__}
            return report
        try:
            with transaction.atomic():
                importer.check_lengths(report)
                steps = importer.plan(report)
                if commit and report.ok:
                    importer.apply(steps, report)
                    report.applied = True
                    if before_commit:
                        before_commit(report)
                else:
                    transaction.set_rollback(True)
        except RollBack:
            report.applied = False
    return report
