"""Excel imports and exports as jobs: upload → check (preview) → confirm → import, and exports of big ledgers.

The caller queues each step as a Celery task (flows/jobs.py) once the service has committed, as the cycle
launch does: in-process on the embedded default, on a worker on the scale-out stack, so a big file can be left
and come back to. Progress while running lives in the cache (the import itself is one transaction, invisible
to other connections until it commits)."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.excel import importing
from flows.excel.importers import IMPORTERS
from flows.excel.markup import marked_copy
from flows.models import ExcelJob, JobDirection, JobState
from flows.services.audit import audit_record

logger = logging.getLogger(__name__)
PROGRESS_TTL = 24 * 3600


def progress_key(job_id: int) -> str:
    return f"excel-job-progress:{job_id}"


def progress_of(job: ExcelJob) -> dict:
    return cache.get(progress_key(job.pk)) or {"done": 0, "total": 0}


def _progress(job_id: int):
    def report(done, total=None):
        cache.set(progress_key(job_id), {"done": done, "total": total or 0}, PROGRESS_TTL)

    return report


@transaction.atomic
def import_start(*, by, kind: str, upload) -> ExcelJob:
    """Keep the uploaded file and queue its check. Hostile files are refused by the check, before parsing."""
    if kind not in IMPORTERS:
        raise ValidationError({"kind": _("Choose what the workbook holds.")})
    limit = settings.EXCEL_IMPORT_MAX_BYTES
    if upload.size > limit:  # refused before it is stored
        raise ValidationError(
            {
                "file": _("The file is over the limit of %(limit)s MB. Split it into smaller workbooks.")
                % {"limit": round(limit / 1048576, 1)}
            }
        )
    job = ExcelJob.objects.create(
        direction=JobDirection.IMPORT, kind=kind, created_by=by, original_name=upload.name[:200]
    )
    job.upload.save("upload.xlsx", upload, save=True)
    audit_record(actor=by, action="excel.import_upload", subject=job, to_value=f"{kind}:{job.original_name}")
    return job


MAX_RUNS = 3


def _run_counted(job: ExcelJob) -> bool:
    """Count this run, committed before the work starts, and say whether to go on. A job whose worker dies is given
    to another worker; a file that kills every worker that reads it (memory, a parser crash) would go round for ever.
    After MAX_RUNS starts the job fails instead, with a message its owner can act on."""
    ExcelJob.objects.filter(pk=job.pk).update(runs=F("runs") + 1)
    job.refresh_from_db(fields=["runs"])
    if job.runs <= MAX_RUNS:
        return True
    with transaction.atomic():
        from_state = job.state
        job.state = JobState.FAILED
        job.message = _(
            "Processing stopped %(n)s times without finishing, so it was given up. "
            "Try a smaller workbook, or ask the administrator to look at it."
        ) % {"n": MAX_RUNS}
        job.save(update_fields=["state", "message", "updated_at"])
        audit_record(actor=None, action="excel.job_given_up", subject=job, from_value=from_state, to_value=job.state)
    return False


def _finish(job: ExcelJob, report: importing.Report, *, applied_state: str) -> None:
    job.report = report.as_json()
    if report.refused:
        job.state, job.message = JobState.REFUSED, report.refused
    elif report.errors:
        job.state = JobState.REFUSED
        job.message = _("%(n)s errors: nothing was imported. Correct the marked cells and upload again.") % {
            "n": len(report.errors)
        }
        job.output.save("marked.xlsx", ContentFile(marked_copy(job.upload.path, report.errors)), save=False)
        job.output_name = f"有误-{job.original_name or 'workbook.xlsx'}"
    else:
        job.state = applied_state
    job.save()


# the database went away or the worker ran out of memory: not the file's fault, so the job is run again
TRANSIENT = (OperationalError, InterfaceError, MemoryError)


def _failed(job: ExcelJob, from_state: str) -> ExcelJob:
    """An unexpected error while checking or importing (a fault of ours, not of the file): the job ends as failed with
    a message its owner can act on, and the error goes to the log. Nothing of the import was written."""
    logger.exception("Excel job %s (%s) failed", job.pk, job.kind)
    with transaction.atomic():
        job.state = JobState.FAILED
        job.message = _(
            "The workbook could not be processed because of an error in the system; nothing was imported. "
            "The error has been logged: tell the administrator (job %(job)s)."
        ) % {"job": job.pk}
        job.save(update_fields=["state", "message", "updated_at"])
        audit_record(actor=None, action="excel.job_failed", subject=job, from_value=from_state, to_value=job.state)
    return job


def import_check(job_id: int) -> ExcelJob:
    """Run by the job: read and check every row, store the preview; nothing is written. A check whose worker died
    (the job still says "checking") is simply run again."""
    job = ExcelJob.objects.get(pk=job_id)
    if job.state not in (JobState.QUEUED, JobState.CHECKING) or not _run_counted(job):
        return job
    ExcelJob.objects.filter(pk=job.pk).update(state=JobState.CHECKING)
    try:
        report = importing.run_import(job.kind, job.upload.path, job.created_by, progress=_progress(job.pk))
        _finish(job, report, applied_state=JobState.CHECKED)
    except TRANSIENT:
        raise  # the job stays "checking" and is run again (up to MAX_RUNS starts)
    except Exception:  # noqa: BLE001 - never leave a job "checking": it fails with a message, the log has the rest
        return _failed(job, JobState.CHECKING)
    return job


@transaction.atomic
def import_confirm(*, by, job: ExcelJob) -> ExcelJob:
    """The person who uploaded the file confirms the preview; the import is queued."""
    locked = ExcelJob.objects.select_for_update().get(pk=job.pk)
    if locked.created_by_id != by.pk:
        raise PermissionDenied
    if locked.state != JobState.CHECKED:
        raise ValidationError(
            _("This import is not waiting for confirmation (it is “%(state)s”).")
            % {"state": locked.get_state_display()}
        )
    locked.state, locked.runs = JobState.APPLYING, 0  # the import's runs are counted afresh
    locked.save(update_fields=["state", "runs", "updated_at"])
    audit_record(actor=by, action="excel.import_confirm", subject=locked, to_value=locked.kind)
    return locked


class AlreadyApplied(Exception):
    """Another run of the same job (a redelivered message) committed the import first."""


def import_apply(job_id: int) -> ExcelJob:
    """Run by the job: check again (the database may have moved since the preview) and import all or nothing.

    The job is marked done in the import's own transaction, so a job that is run again (its worker was killed
    after the commit, before the queue heard it was done) finds it done and imports nothing a second time; two
    runs at once wait for each other on the job's row and the second rolls back."""
    job = ExcelJob.objects.get(pk=job_id)
    if job.state != JobState.APPLYING or not _run_counted(job):
        return job

    def mark_done(report):
        marked = ExcelJob.objects.filter(pk=job.pk, state=JobState.APPLYING).update(
            state=JobState.DONE, report=report.as_json(), updated_at=timezone.now()
        )
        if not marked:
            raise AlreadyApplied

    try:
        report = importing.run_import(
            job.kind, job.upload.path, job.created_by, commit=True, progress=_progress(job.pk), before_commit=mark_done
        )
    except AlreadyApplied:
        return ExcelJob.objects.get(pk=job.pk)
    except TRANSIENT:
        raise  # rolled back; the job stays "applying" and is run again (up to MAX_RUNS starts)
    except Exception:  # noqa: BLE001 - rolled back: nothing was imported; never leave a job "applying"
        return _failed(job, JobState.APPLYING)
    if report.applied:
        return ExcelJob.objects.get(pk=job.pk)
    try:
        _finish(job, report, applied_state=JobState.REFUSED)
    except TRANSIENT:
        raise
    except Exception:  # noqa: BLE001 - the marked copy could not be written: the job still ends
        return _failed(job, JobState.APPLYING)
    return job


# ---- exports --------------------------------------------------------------------------------------------


@transaction.atomic
def export_start(*, by, kind: str, params: dict, filename: str) -> ExcelJob:
    """Queue a big export; the view has already checked that `by` may have it."""
    job = ExcelJob.objects.create(
        direction=JobDirection.EXPORT, kind=kind, params=params, created_by=by, output_name=filename
    )
    return job


def export_run(job_id: int) -> ExcelJob:
    from flows.excel import exports

    job = ExcelJob.objects.get(pk=job_id)
    # an export whose worker died is built again (up to MAX_RUNS starts)
    if job.state not in (JobState.QUEUED, JobState.APPLYING) or not _run_counted(job):
        return job
    ExcelJob.objects.filter(pk=job.pk).update(state=JobState.APPLYING)
    found = exports.rows_of(job.kind, job.created_by, job.params)
    report = _progress(job.pk)
    total = found[1] if found else 0
    try:
        data = exports.build(job.kind, job.created_by, job.params, progress=lambda done: report(done, total))
    except Exception as exc:  # noqa: BLE001 - the job page says it failed; the worker log has the rest
        job.state, job.message = JobState.FAILED, str(exc)[:500]
        job.save()
        raise
    job.output.save("export.xlsx", ContentFile(data), save=False)
    job.state = JobState.DONE
    job.save()
    return job
