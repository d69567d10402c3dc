"""Jobs never freeze and never lie (issue 23): a worker killed (SIGKILL) mid-job as a whole, its message left
unacknowledged with the broker's visibility timeout at an hour as in production, is noticed when its job's lease
runs out, and the next worker resumes the job: an import runs again (all or nothing) and ends done with the true
counts, a cycle launch goes on from its last committed chunk. Meanwhile the job page says 已中断，正在恢复; a
second delivery of a job that is running does nothing, and one of a finished job leaves it finished.

Real Celery workers (tests/fault_worker.py) on the Redis broker and this test's database, SQLite file or
PostgreSQL, as in tests/test_faults__celery_redelivery.py; the lease is 2 s here (30 s by default). The test plays
Celery beat: it runs the job sweep itself, or sends it to the workers, every half second."""

import json
import os
import re
import signal
import time
import uuid

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from flows import jobs
from flows.excel import jobs as excel_jobs
from flows.models import Assessment, AuditEntry, ExcelJob, JobState, Organisation, ReviewCycle
from tests.fault_helpers import orphan_tasks
from tests.test_excel__views import workbook
from tests.test_faults__celery_redelivery import broker_url, eventually, opened_cycle, send
from tests.test_faults__worker_killed import start, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
LEASE = 2


@pytest.fixture
def workers(tmp_path):
    """Starts real workers on a queue of this test's own, which is also where they queue jobs again; the broker
    would hand an unacknowledged message out again only after an hour. Stops what is left of them afterwards."""
    queue, started = f"lease-{uuid.uuid4().hex[:8]}", []
    env = {
        "REDIS_URL": broker_url(),
        "CELERY_VISIBILITY_TIMEOUT": "3600",
        "CELERY_JOB_LEASE_SECONDS": str(LEASE),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "FAULT_LAUNCH_CHUNK": "2",
    }

    def _start(*, hang_at, marker):
        process = start("celery", queue, "solo", hang_at=hang_at, marker=marker, **env)
        started.append(process)
        return process

    _start.queue = queue
    yield _start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(15)
        except Exception:  # noqa: BLE001
            process.kill()
            process.wait(10)
    client = redis.Redis.from_url(broker_url())
    client.delete(queue)
    for tag, message in client.hgetall("unacked").items():  # the killed worker's message, never to be restored
        if json.loads(message)[2] == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def succeeded(marker, result):
    """How many runs the workers' log says ended with `result` (the job's state, or the launch's count)."""
    return len(re.findall(rf" succeeded in [0-9.e-]+s: {re.escape(result)}\n", marker.with_suffix(".log").read_text()))


def both(workers, marker, hang_at, task_name, *args):
    """Two workers, started together, and the job sent to them; the one that takes it stops at `hang_at` (only the
    first time: the marker is there then). Returns that one and the other."""
    pair = [workers(hang_at=hang_at, marker=marker) for _ in range(2)]
    send(workers.queue, task_name, *args)
    pid = wait_for(marker, pair[0], timeout=90)
    hung = next((w for w in pair if w.pid == pid), None)
    assert hung is not None, marker.with_suffix(".log").read_text()
    return hung, next(w for w in pair if w is not hung)


def job_page(client, job):
    return client.get(reverse("excel_job", kwargs={"pk": job.pk})).content.decode()


NEW_ROWS = [[f"JC-QS-HT-{70 + i}", f"河塘镇续跑村{i}支部", "党支部", "基层", "JC-QS-HT"] for i in range(5)]


def test_an_import_whose_worker_was_killed_is_resumed_by_the_next_worker_and_ends_done(demo, workers, tmp_path, client):
    from tests import cycle_helpers as h

    officer = h.county_officer()
    client.force_login(officer)
    job = excel_jobs.import_start(
        by=officer, kind="organisations", upload=SimpleUploadedFile("orgs.xlsx", workbook(NEW_ROWS))
    )
    excel_jobs.import_check(job.pk)
    job = excel_jobs.import_confirm(by=officer, job=ExcelJob.objects.get(pk=job.pk))
    codes, audit = [r[0] for r in NEW_ROWS], AuditEntry.objects.count()

    marker = tmp_path / "import.marker"
    started = time.monotonic()
    hung, other = both(workers, marker, "import_rows", "flows.jobs.excel_import_apply", job.pk)
    running = ExcelJob.objects.get(pk=job.pk)
    assert running.state == JobState.APPLYING and running.runs == 1 and running.lease_owner  # rows not committed
    body = job_page(client, job)
    assert "正在导入" in body and "已中断" not in body

    if connection.vendor != "sqlite":  # on SQLite a second run waits for the first one's write lock instead
        # the duplicate: a second delivery while the import runs finds it held, does nothing and says so
        send(workers.queue, "flows.jobs.excel_import_apply", job.pk)
        eventually(lambda: succeeded(marker, "'applying'") == 1, timeout=30)
        assert ExcelJob.objects.values("state", "runs", "lease_owner", "message").get(pk=job.pk) == {
            "state": JobState.APPLYING,
            "runs": 1,
            "lease_owner": running.lease_owner,
            "message": "",
        }

    os.kill(hung.pid, signal.SIGKILL)
    hung.wait(10)
    killed = time.monotonic()

    # the sweep notices it once its lease has run out, and queues it again (held back here to look at the page)
    queued = []

    def swept():
        jobs.resume_interrupted(enqueue=lambda *task: queued.append(task))
        return queued

    eventually(swept, timeout=LEASE + 10)
    assert queued == [("excel_import_apply", job.pk)]
    body = job_page(client, job)
    assert "已中断，正在恢复" in body and "已拒绝" not in body
    assert client.get(reverse("excel_job_status", kwargs={"pk": job.pk})).json()["label"] == "已中断，正在恢复"
    assert not Organisation.objects.filter(code__in=codes).exists()  # the killed run's rows were never committed

    for task_name, job_id in queued:
        send(workers.queue, f"flows.jobs.{task_name}", job_id)
    eventually(lambda: ExcelJob.objects.get(pk=job.pk).state == JobState.DONE, timeout=30)
    resumed_in = time.monotonic() - killed
    assert resumed_in < 60, resumed_in

    job = ExcelJob.objects.get(pk=job.pk)
    assert job.report["applied"] and job.report["counts"]["new"] == 5  # the true counts
    assert job.runs == 2 and job.lease_owner == "" and job.interrupted_at is not None
    assert Organisation.objects.filter(code__in=codes).count() == 5
    created = AuditEntry.objects.filter(action="organisation.create", to_value__in=codes)
    assert sorted(created.values_list("to_value", flat=True)) == sorted(codes)  # each once
    assert AuditEntry.objects.count() - audit == 5
    body = job_page(client, job)
    assert "已中断" not in body and "已导入" in body

    # the killed worker's own message, handed out again after the visibility timeout: it finds the job done
    done = ExcelJob.objects.values().get(pk=job.pk)
    send(workers.queue, "flows.jobs.excel_import_apply", job.pk)
    eventually(lambda: succeeded(marker, "'done'") == 2, timeout=30)
    assert ExcelJob.objects.values().get(pk=job.pk) == done
    assert Organisation.objects.filter(code__in=codes).count() == 5
    assert other.poll() is None
    print(f"import: resumed and done {resumed_in:.1f} s after the kill; test {time.monotonic() - started:.1f} s")


def test_a_launch_whose_worker_was_killed_goes_on_from_its_last_chunk_on_the_next_worker(demo, workers, tmp_path):
    cycle = opened_cycle()
    total = cycle.launch_total
    marker = tmp_path / "launch.marker"
    hung, other = both(workers, marker, "launch_chunk", "flows.jobs.launch_cycle", cycle.pk)
    assert Assessment.objects.filter(cycle=cycle).count() == 2  # its first chunk committed, its second not yet
    os.kill(hung.pid, signal.SIGKILL)
    hung.wait(10)
    killed = time.monotonic()

    def launched():  # Celery beat's part: the sweep, sent to the workers every half second
        send(workers.queue, "flows.jobs.jobs_sweep")
        return ReviewCycle.objects.get(pk=cycle.pk).launch_done == total

    eventually(launched, timeout=60)
    assert time.monotonic() - killed < 60
    eventually(lambda: succeeded(marker, str(total - 2)) == 1, timeout=30)  # the resumed launch: the rest only
    launched = Assessment.objects.filter(cycle=cycle)
    assert launched.count() == total and launched.values("organisation").distinct().count() == total
    ids = [str(pk) for pk in launched.values_list("pk", flat=True)]
    assert AuditEntry.objects.filter(action="assessment.launch", subject_id__in=ids).count() == total
    assert orphan_tasks() == []
    assert other.poll() is None
