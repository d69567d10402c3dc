"""Excel imports and exports as jobs: upload → check (preview) → confirm → import, and exports of big ledgers.

The caller queues each step as a Celery task (flows/jobs.py) once the service has committed, as the cycle
launch does: in-process on the embedded default, on a worker on the scale-out stack, so a big file can be left
and come back to. Progress while running lives in the cache (the import itself is one transaction, invisible
to other connections until it commits).

Each run takes the job's lease first (`_take`, a conditional update: only a job not finished and not held by a live
run), renews it from a heartbeat thread, and writes how it ended only while the lease is still its own (`_end`), so
a second delivery of a running or finished job changes nothing, and a job whose worker died is resumed by the job
sweep (flows.jobs.resume_interrupted) once its lease has run out."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.excel import importing
from flows.excel.importers import IMPORTERS
from flows.excel.markup import marked_copy
from flows.jobs import Heartbeat, holder_is_dead, lease_owner, lease_seconds
from flows.models import ExcelJob, JobDirection, JobState
from flows.models.excel import RUNNING_STATES
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
# a job marked interrupted and still not taken by a worker after this long is queued once more (its message lost)
REQUEUE_AFTER = 300


def _lease_end():
    return timezone.now() + timedelta(seconds=lease_seconds())


def _take(job_id: int, states: tuple, running_state: str) -> tuple[ExcelJob, str | None]:
    """Take the job's lease for this run, and count the run: only if the job is in one of `states` (not finished) and
    no live run holds it (nobody, or a lease that ran out, or a holder known to be dead). Returns the job and this
    run's lease owner, or None when there is nothing to do: the job is finished, or running elsewhere (a second
    delivery of its message), so this run changes nothing and reports the job as it stands."""
    owner, now = lease_owner(), timezone.now()
    with transaction.atomic():
        # a row locked by another run (committing an import, or taking the lease itself) is that run's: not waited for
        job = ExcelJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:
            return ExcelJob.objects.get(pk=job_id), None
        if job.state not in states:
            return job, None
        if job.lease_owner and job.lease_until and job.lease_until > now and not holder_is_dead(job.lease_owner):
            logger.info("Excel job %s is running elsewhere (%s)", job.pk, job.lease_owner)
            return job, None
        if job.lease_owner:  # a run that did not end: it died, or could not reach the database
            logger.warning("Excel job %s resumed: its run %s was interrupted", job.pk, job.lease_owner)
        ExcelJob.objects.filter(pk=job.pk).update(
            state=running_state,
            lease_owner=owner,
            lease_until=_lease_end(),
            interrupted_at=job.interrupted_at or (now if job.lease_owner else None),
            runs=F("runs") + 1,
        )
    cache.delete(progress_key(job.pk))  # the progress of a run that died is not this one's
    job.refresh_from_db()
    return job, owner


def _renewer(job_id: int, owner: str):
    def renew() -> bool:
        return bool(ExcelJob.objects.filter(pk=job_id, lease_owner=owner).update(lease_until=_lease_end()))

    return renew


def _release(job_id: int, owner: str) -> None:
    ExcelJob.objects.filter(pk=job_id, lease_owner=owner).update(lease_owner="", lease_until=None)


def _end(job: ExcelJob, owner: str, *, audit: str = "", **fields) -> bool:
    """Write how the run ended and release its lease, only while the job is running and the lease is still this
    run's: a run that lost its lease to another (it stalled past its lease) leaves the job to that run, and a
    finished state is never written over."""
    from_state = job.state
    fields |= {"lease_owner": "", "lease_until": None, "updated_at": timezone.now()}
    with transaction.atomic():
        ended = ExcelJob.objects.filter(pk=job.pk, lease_owner=owner, state__in=RUNNING_STATES).update(**fields)
        if ended and audit:
            audit_record(actor=None, action=audit, subject=job, from_value=from_state, to_value=fields["state"])
    if not ended:
        logger.warning("Excel job %s: this run lost its lease; its outcome is not written", job.pk)
        job.refresh_from_db()
        return False
    for name, value in fields.items():
        setattr(job, name, value)
    return True


def _give_up(job: ExcelJob, owner: str) -> ExcelJob:
    """A job whose worker died is given to another worker; a file that kills every worker that reads it (memory, a
    parser crash) would go round for ever. After MAX_RUNS starts the job fails instead, with a message its owner can
    act on."""
    message = _(
        "Processing stopped %(n)s times without finishing, so it was given up. "
        "Try a smaller workbook, or ask the administrator to look at it."
    ) % {"n": MAX_RUNS}
    _end(job, owner, audit="excel.job_given_up", state=JobState.FAILED, message=message)
    return job


def _finish(job: ExcelJob, owner: str, report: importing.Report, *, applied_state: str) -> None:
    fields = {"report": report.as_json(), "state": applied_state, "message": ""}
    if report.refused:
        fields |= {"state": JobState.REFUSED, "message": report.refused}
    elif report.errors:
        fields["state"] = JobState.REFUSED
        fields["message"] = _("%(n)s errors: nothing was imported. Correct the marked cells and upload again.") % {
            "n": len(report.errors)
        }
        job.output.save("marked.xlsx", ContentFile(marked_copy(job.upload.path, report.errors)), save=False)
        fields |= {"output": job.output.name, "output_name": f"有误-{job.original_name or 'workbook.xlsx'}"}
    _end(job, owner, **fields)


# the database went away or the worker ran out of memory: not the file's fault, so the job is run again
TRANSIENT = (OperationalError, InterfaceError, MemoryError)


def _failed(job: ExcelJob, owner: str) -> ExcelJob:
    """An unexpected error while checking or importing (a fault of ours, not of the file): the job ends as failed with
    a message its owner can act on, and the error goes to the log. Nothing of the import was written."""
    logger.exception("Excel job %s (%s) failed", job.pk, job.kind)
    message = _(
        "The workbook could not be processed because of an error in the system; nothing was imported. "
        "The error has been logged: tell the administrator (job %(job)s)."
    ) % {"job": job.pk}
    _end(job, owner, audit="excel.job_failed", state=JobState.FAILED, message=message)
    return job


def import_check(job_id: int) -> ExcelJob:
    """Run by the job: read and check every row, store the preview; nothing is written. A check whose worker died
    (the job still says "checking") is simply run again."""
    job, owner = _take(job_id, (JobState.QUEUED, JobState.CHECKING), JobState.CHECKING)
    if owner is None:
        return job
    if job.runs > MAX_RUNS:
        return _give_up(job, owner)
    try:
        with Heartbeat(_renewer(job.pk, owner)):
            report = importing.run_import(job.kind, job.upload.path, job.created_by, progress=_progress(job.pk))
        _finish(job, owner, report, applied_state=JobState.CHECKED)
    except TRANSIENT:
        raise  # the lease runs out, and the job sweep queues it again (up to MAX_RUNS starts)
    except Exception:  # noqa: BLE001 - never leave a job "checking": it fails with a message, the log has the rest
        return _failed(job, owner)
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
    """The job is no longer this run's to finish: another run took it over (this one stalled past its lease)."""


def import_apply(job_id: int) -> ExcelJob:
    """Run by the job: check again (the database may have moved since the preview) and import all or nothing.

    The job is marked done in the import's own transaction, so a job that is run again (its worker was killed
    after the commit, before the queue heard it was done) finds it done and imports nothing a second time; a second
    delivery while it runs finds its lease held and does nothing; a run that lost its lease rolls back."""
    job, owner = _take(job_id, (JobState.APPLYING,), JobState.APPLYING)
    if owner is None:
        return job
    if job.runs > MAX_RUNS:
        return _give_up(job, owner)

    def mark_done(report):
        marked = ExcelJob.objects.filter(pk=job.pk, state=JobState.APPLYING, lease_owner=owner).update(
            state=JobState.DONE, message="", report=report.as_json(), updated_at=timezone.now()
        )
        if not marked:
            raise AlreadyApplied

    try:
        with Heartbeat(_renewer(job.pk, owner)):
            report = importing.run_import(
                job.kind,
                job.upload.path,
                job.created_by,
                commit=True,
                progress=_progress(job.pk),
                before_commit=mark_done,
            )
    except AlreadyApplied:
        return ExcelJob.objects.get(pk=job.pk)
    except TRANSIENT:
        raise  # rolled back; the lease runs out, and the job sweep queues it again (up to MAX_RUNS starts)
    except Exception:  # noqa: BLE001 - rolled back: nothing was imported; never leave a job "applying"
        return _failed(job, owner)
    if report.applied:
        _release(job.pk, owner)
        return ExcelJob.objects.get(pk=job.pk)
    try:
        _finish(job, owner, report, applied_state=JobState.REFUSED)
    except TRANSIENT:
        raise
    except Exception:  # noqa: BLE001 - the marked copy could not be written: the job still ends
        return _failed(job, owner)
    return job


def interrupted_mark() -> list[tuple[str, int]]:
    """For the job sweep (flows.jobs.resume_interrupted): the running jobs whose lease ran out (their worker died),
    marked interrupted, each with the task that resumes it. A job is marked once per interruption (and once more if
    it is still not taken after REQUEUE_AFTER seconds, in case its message was lost)."""
    now = timezone.now()
    stale = ExcelJob.objects.filter(state__in=RUNNING_STATES, lease_until__lt=now).filter(
        Q(interrupted_at__isnull=True)
        | Q(interrupted_at__lt=F("lease_until"))
        | Q(interrupted_at__lt=now - timedelta(seconds=REQUEUE_AFTER))
    )
    found = []
    for job in stale.only("pk", "direction", "state", "lease_owner"):
        if not stale.filter(pk=job.pk).update(interrupted_at=now):
            continue  # another sweep marked it, or a worker took it, meanwhile
        logger.warning("Excel job %s was interrupted (the lease of %s ran out): queued again", job.pk, job.lease_owner)
        if job.direction == JobDirection.EXPORT:
            task = "excel_export"
        else:
            task = "excel_import_apply" if job.state == JobState.APPLYING else "excel_import_check"
        found.append((task, job.pk))
    return found


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

    # an export whose worker died is built again (up to MAX_RUNS starts)
    job, owner = _take(job_id, (JobState.QUEUED, JobState.APPLYING), JobState.APPLYING)
    if owner is None:
        return job
    if job.runs > MAX_RUNS:
        return _give_up(job, owner)
    report = _progress(job.pk)
    try:
        with Heartbeat(_renewer(job.pk, owner)):
            found = exports.rows_of(job.kind, job.created_by, job.params)
            total = found[1] if found else 0
            data = exports.build(job.kind, job.created_by, job.params, progress=lambda done: report(done, total))
    except TRANSIENT:
        raise  # the lease runs out, and the job sweep queues it again (up to MAX_RUNS starts)
    except Exception as exc:  # noqa: BLE001 - the job page says it failed; the worker log has the rest
        _end(job, owner, state=JobState.FAILED, message=str(exc)[:500])
        raise
    job.output.save("export.xlsx", ContentFile(data), save=False)
    _end(job, owner, state=JobState.DONE, output=job.output.name)
    return job
