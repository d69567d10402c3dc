"""Background jobs: Celery tasks on the scale-out stack; run in-process on the embedded default.

Every job is acknowledged only when it has finished (acks_late) and is put back on the queue when its worker
process dies (reject_on_worker_lost; a worker killed as a whole leaves it unacknowledged, and the broker gives it
to another worker after CELERY_VISIBILITY_TIMEOUT). So a job can run twice, and each one has a single effect:
the launch resumes where it stopped, an import is marked done in its own transaction, a check or an export is
built again, the sweeps record each step once."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def launch_cycle(cycle_id: int) -> int:
    """Launch the cycle's assessments; safe to run again (it resumes where it stopped)."""
    from flows.models import ReviewCycle
    from flows.services.cycles import cycle_launch

    return cycle_launch(cycle=ReviewCycle.objects.get(pk=cycle_id))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def periodic_sweeps() -> dict:
    """Run by Celery beat on the scale-out stack (see CELERY_BEAT_SCHEDULE)."""
    return run_sweeps()


def run_sweeps() -> dict:
    """Everything periodic, in order; each sweep is idempotent (Celery beat, the embedded scheduler, the command)."""
    from flows.services.ballots import campaigns_close_due
    from flows.services.deadlines import deadlines_sweep

    return {"evaluations_closed": campaigns_close_due(), "deadline_steps": deadlines_sweep()}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def excel_import_check(job_id: int) -> str:
    from flows.excel.jobs import import_check

    return import_check(job_id).state


@shared_task(acks_late=True, reject_on_worker_lost=True)
def excel_import_apply(job_id: int) -> str:
    from flows.excel.jobs import import_apply

    return import_apply(job_id).state


@shared_task(acks_late=True, reject_on_worker_lost=True)
def excel_export(job_id: int) -> str:
    from flows.excel.jobs import export_run

    return export_run(job_id).state
