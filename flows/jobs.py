"""Background jobs: Celery tasks on the scale-out stack; run in-process on the embedded default.

Every job is acknowledged only when it has finished (acks_late) and is put back on the queue when its worker
process dies (reject_on_worker_lost), so a message can be delivered twice; each job has a single effect all the
same (the launch resumes where it stopped, an import is marked done in its own transaction, a check or an export
is built again, the sweeps record each step once).

A worker killed as a whole leaves its message unacknowledged until the broker's visibility timeout (an hour), so
the broker is not what resumes a job. A running job holds a lease instead, renewed by a heartbeat thread every third
of CELERY_JOB_LEASE_SECONDS: an Excel job on its row (flows/excel/jobs.py), a cycle launch in the cache. The job
sweep (`jobs_sweep`, by Celery beat every CELERY_JOB_SWEEP_SECONDS) finds the leases that ran out while their job
was running, marks the job interrupted (its page says 已中断，正在恢复) and queues it again; the next worker takes
the lease and runs it (an import again from the start, all or nothing; a launch from its last committed chunk). A
run that finds the lease held by a live run, or the job finished, does nothing and changes nothing. On the same
machine a lease whose process is gone is free at once: a job whose pool process died is run again straight away."""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def launch_cycle(cycle_id: int) -> int:
    """Launch the cycle's assessments; safe to run again (it resumes where it stopped). A launch already running
    elsewhere (a second delivery of its message) is left to it."""
    from flows.models import ReviewCycle
    from flows.services.cycles import cycle_launch

    lease = CacheLease(launch_lease_key(cycle_id))
    if not lease.take():
        logger.info("launch of cycle %s is running elsewhere (%s)", cycle_id, lease.holder)
        return 0
    with Heartbeat(lease.renew):
        launched = cycle_launch(cycle=ReviewCycle.objects.get(pk=cycle_id))
    lease.release()  # not on an error: the lease runs out and the sweep resumes the launch
    return launched


@shared_task(acks_late=True, reject_on_worker_lost=True)
def periodic_sweeps() -> dict:
    """Run by Celery beat on the scale-out stack (see CELERY_BEAT_SCHEDULE)."""
    return run_sweeps()


def run_sweeps() -> dict:
    """Everything periodic, in order; each sweep is idempotent (Celery beat, the embedded scheduler, the command)."""
    from flows.services.audit import audit_link_pending
    from flows.services.ballots import campaigns_close_due
    from flows.services.consolidation import milestones_sweep  # issue 20: consolidation milestones
    from flows.services.deadlines import deadlines_sweep

    return {
        "evaluations_closed": campaigns_close_due(),
        "deadline_steps": deadlines_sweep() + milestones_sweep(),  # milestones: issue 20's consolidation
        # audit rows whose writer died between its commit and linking them (each writer links its own on commit)
        "audit_linked": audit_link_pending(),
    }


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


# ---- the job sweep ----------------------------------------------------------------------------------------------


@shared_task
def jobs_sweep() -> dict:
    """Run by Celery beat every CELERY_JOB_SWEEP_SECONDS (see CELERY_BEAT_SCHEDULE)."""
    return resume_interrupted()


def _delay(task_name: str, *args) -> None:
    RESUMABLE[task_name].delay(*args)


RESUMABLE = {task.__name__: task for task in (launch_cycle, excel_import_check, excel_import_apply, excel_export)}


def resume_interrupted(*, enqueue: Callable[..., None] | None = None) -> dict:
    """Find the jobs whose lease ran out while they were running (their worker died), mark them interrupted and
    queue them again. Idempotent: a job is queued once per interruption; a second delivery would do nothing anyway.
    `enqueue(task_name, *args)` queues a task of this module by name (the tests send it to a queue of their own)."""
    from flows.excel.jobs import interrupted_mark

    enqueue = enqueue or _delay
    resumed = {"excel_jobs": 0, "launches": 0}
    for task_name, job_id in interrupted_mark():
        enqueue(task_name, job_id)
        resumed["excel_jobs"] += 1
    for cycle_id in launches_interrupted_mark():
        enqueue("launch_cycle", cycle_id)
        resumed["launches"] += 1
    return resumed


# ---- leases -----------------------------------------------------------------------------------------------------


def lease_seconds() -> float:
    return float(settings.CELERY_JOB_LEASE_SECONDS)


def _host() -> str:
    """This machine as a process sees it: a pid means something only on the same machine (its boot) and in the same
    process namespace (a container)."""
    parts = [socket.gethostname()[:64]]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8])
        parts.append(os.readlink("/proc/self/ns/pid").strip("pid:[]"))
    except OSError:
        pass
    return ":".join(parts)


def _started(pid: int) -> str | None:
    """When the process `pid` started (clock ticks since boot), or None if there is no such live process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "?"
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]  # a zombie has died; field 22 is the start time


def lease_owner() -> str:
    """Who holds a lease: this machine, this process (pid and start time, so that a pid used again is told apart)
    and this run."""
    pid = os.getpid()
    return f"{_host()}/{pid}.{_started(pid) or '?'}/{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str) -> bool:
    """The process that holds the lease `owner` is known to be gone: it ran on this machine and is no longer there.
    A holder on another machine is alive until its lease runs out."""
    try:
        host, process, _run = owner.rsplit("/", 2)
        pid, started = process.split(".", 1)
        pid = int(pid)
    except ValueError:
        return False
    if host != _host() or started == "?" or pid == os.getpid():
        return False
    return _started(pid) != started


class Heartbeat:
    """Renews a lease every third of CELERY_JOB_LEASE_SECONDS from a thread of its own while the job runs. The first
    renewal is a third of a lease after the start, so a short job never touches the database from the thread. The
    thread stops when the job ends, or when `renew()` says the lease is no longer this run's."""

    def __init__(self, renew: Callable[[], bool]):
        self.renew = renew
        self.every = lease_seconds() / 3
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zerenzhi-job-heartbeat", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=2)  # a renewal waiting on a lock finishes on its own (it renews nothing of ours)

    def _run(self):
        try:
            while not self._stop.wait(self.every):
                try:
                    if not self.renew():
                        logger.warning("a job's lease was taken over by another run; its heartbeat stops")
                        return
                except DatabaseError as exc:  # the database is away (on SQLite: an import is writing): next time
                    logger.info("a job's heartbeat could not renew its lease: %s", exc)
        finally:
            connections.close_all()  # this thread's own connections


class CacheLease:
    """A lease kept in the cache (Redis on the scale-out stack), for a job that has no row of its own: a cycle launch.
    Best effort: two runs taking an expired lease at once may both go on, which a launch allows (each chunk locks
    the cycle and launches only organisations that have no assessment yet)."""

    KEEP = 7 * 24 * 3600  # the entry outlives its lease, so that the sweep sees a lease that ran out

    def __init__(self, key: str):
        self.key, self.owner, self.holder = key, lease_owner(), None

    def take(self) -> bool:
        now = timezone.now()
        current = cache.get(self.key)
        mine = {"owner": self.owner, "until": now + timedelta(seconds=lease_seconds()), "interrupted": None}
        if current is None:
            return cache.add(self.key, mine, self.KEEP)
        if current["until"] > now and not holder_is_dead(current["owner"]):
            self.holder = current["owner"]
            return False
        mine["interrupted"] = current.get("interrupted") or now  # its run died: this one resumes it
        cache.set(self.key, mine, self.KEEP)
        return True

    def renew(self) -> bool:
        current = cache.get(self.key)
        if not current or current["owner"] != self.owner:
            return False
        current["until"] = timezone.now() + timedelta(seconds=lease_seconds())
        cache.set(self.key, current, self.KEEP)
        return True

    def release(self) -> None:
        current = cache.get(self.key)
        if current and current["owner"] == self.owner:
            cache.delete(self.key)


def launch_lease_key(cycle_id: int) -> str:
    return f"job-lease:launch:{cycle_id}"


def launch_interrupted(cycle_id: int) -> datetime | None:
    """When the cycle's launch was found interrupted (its worker died), while it is being resumed; else None."""
    current = cache.get(launch_lease_key(cycle_id))
    return current.get("interrupted") if current else None


def _launch_never_taken(cycle_id: int, now) -> bool:
    from flows.models import AuditEntry

    opened = (
        AuditEntry.objects.filter(action="cycle.open", subject_type="flows.reviewcycle", subject_id=str(cycle_id))
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return opened is not None and opened < now - timedelta(seconds=2 * lease_seconds())


def job_send(task_name: str, *args) -> bool:
    """Queue a job after its request committed. With the queue away (Redis down), the job is not lost and the user
    is not told "not saved" (it was saved): an Excel job's lease is marked as run out, so the job sweep queues it
    once the queue is back (its page says 已中断，正在恢复 until then); a cycle launch that nobody takes up is queued
    again by the sweep (`launches_interrupted_mark`). Returns whether the queue took it."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    try:
        RESUMABLE[task_name].delay(*args)
        return True
    except (OperationalError, RedisError, ConnectionError, TimeoutError) as exc:
        logger.warning("job %s%s not queued (the queue is unavailable): %s; the job sweep will", task_name, args, exc)
        if task_name != "launch_cycle":
            from flows.models import ExcelJob

            ExcelJob.objects.filter(pk=args[0], lease_until__isnull=True).update(lease_until=timezone.now())
        return False


def launches_interrupted_mark() -> list[int]:
    """The cycles being launched whose launch lease ran out, marked interrupted (once per interruption)."""
    from django.db.models import F

    from flows.models import CycleState, ReviewCycle

    now, found = timezone.now(), []
    launching = ReviewCycle.objects.filter(state=CycleState.OPEN, launch_done__lt=F("launch_total"))
    for cycle_id in launching.values_list("pk", flat=True):
        key = launch_lease_key(cycle_id)
        current = cache.get(key)
        if not current and _launch_never_taken(cycle_id, now):
            # queued but never taken up for two leases (its message was lost, or the queue was away when the cycle
            # opened): a lease that has run out, so that the sweep queues it again (a second run does nothing)
            current = {"owner": "", "until": now, "interrupted": None}
        if not current or current["until"] > now:
            continue  # not yet started, or finished; or running
        if current["interrupted"] and current["interrupted"] >= current["until"]:
            continue  # already queued again since its lease ran out
        current["interrupted"] = now
        cache.set(key, current, CacheLease.KEEP)
        logger.warning(
            "launch of cycle %s was interrupted (the lease of %s ran out): queued again", cycle_id, current["owner"]
        )
        found.append(cycle_id)
    return found
