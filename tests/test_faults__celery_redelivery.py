"""A background job whose worker is killed (SIGKILL) in the middle is delivered again and has a single effect.

A real Celery worker (tests/fault_worker.py) on the Redis broker, on this test's database (SQLite file or
PostgreSQL), is killed at a chosen point of a cycle launch or an Excel import:
- the whole worker (solo pool): the job stays unacknowledged and, after the broker's visibility timeout (2 s
  here), a second worker takes it;
- only the child process running the job (prefork pool): the worker puts the job back (reject_on_worker_lost) and
  runs it again itself.
Either way the launch writes every assessment, flow and first task once, and the import its rows and audit rows
once, with the job's own report intact."""

import json
import os
import signal
import time
import uuid

import pytest
import redis
from celery import Celery
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Process, Task

from flows.excel import jobs as excel_jobs
from flows.flows import AssessmentFlow
from flows.models import Assessment, AuditEntry, ExcelJob, JobState, Organisation, OversightOffice, ReviewCycle
from flows.services import cycles as cycle_svc
from flows.services.indicators import templates_load_defaults
from tests import cycle_helpers as h
from tests.fault_helpers import orphan_tasks
from tests.test_excel__views import workbook
from tests.test_faults__worker_killed import start, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
VISIBILITY = 2


def broker_url():
    """bin/test passes the Redis it found (or started) in both suites; the machine's own otherwise."""
    return os.environ.get("SCALEOUT_REDIS_URL") or "redis://127.0.0.1:6379/13"


@pytest.fixture
def workers(tmp_path):
    """Starts real workers on a queue of this test's own; stops whatever is left of them afterwards."""
    queue, started = f"faults-{uuid.uuid4().hex[:8]}", []
    env = {
        "REDIS_URL": broker_url(),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "CELERY_RESTORE_INTERVAL": "1",
        "CELERY_RESTORE_THROTTLE": "1",
        "FAULT_LAUNCH_CHUNK": "2",
    }

    def _start(*, pool, hang_at, marker):
        process = start("celery", queue, pool, hang_at=hang_at, marker=marker, **env)
        started.append(process)
        return process

    _start.queue = queue
    yield _start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except Exception:  # noqa: BLE001
                process.kill()
                process.wait(10)
    client = redis.Redis.from_url(broker_url())
    client.delete(queue)


def send(queue, task_name, *args):
    producer = Celery("fault-producer", broker=broker_url())
    producer.send_task(task_name, args=list(args), queue=queue)


def eventually(check, timeout=90):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the job did not complete"
        time.sleep(0.3)


def ran_to_the_end(marker, task_name):
    """The worker's log says the job succeeded: the redelivered run finished (for an import already committed
    before the kill, that run found the job done)."""
    return f"Task {task_name}[" in (log := marker.with_suffix(".log").read_text()) and " succeeded in " in log


def nothing_left_on(queue):
    client = redis.Redis.from_url(broker_url())
    unacked = [json.loads(v) for v in client.hgetall("unacked").values()]
    return client.llen(queue) == 0 and not [m for m in unacked if m[2] == queue]


def kill(mode, worker, pid, workers, marker):
    """Kill the whole worker and start a second one, or kill the child that runs the job."""
    if mode == "worker":
        assert pid == worker.pid
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        workers(pool="solo", hang_at="", marker=marker)
    else:
        assert pid != worker.pid
        os.kill(pid, signal.SIGKILL)


def opened_cycle():
    templates_load_defaults()
    office = OversightOffice.objects.get(code="QS-ZZB")
    officer = h.county_officer()
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=2026,
        name="2026年度青山县村党组织书记抓党建考核",
        scope_sectors=["village"],
        **cycle_svc.due_dates_for_year(2026),
    )
    return cycle_svc.cycle_open(by=officer, cycle=cycle)


@pytest.mark.parametrize("mode", ["worker", "child"])
def test_a_cycle_launch_killed_mid_way_completes_once(demo, workers, tmp_path, mode):
    cycle = opened_cycle()
    total = cycle.launch_total
    assert total >= 3  # two chunks of two at least
    processes, tasks, audit = Process.objects.count(), Task.objects.count(), AuditEntry.objects.count()
    marker = tmp_path / "launch.marker"
    worker = workers(pool="solo" if mode == "worker" else "prefork", hang_at="launch_chunk", marker=marker)
    send(workers.queue, "flows.jobs.launch_cycle", cycle.pk)
    pid = wait_for(marker, worker)
    assert Assessment.objects.filter(cycle=cycle).count() == 2  # the first chunk committed, the second not yet
    kill(mode, worker, pid, workers, marker)

    eventually(lambda: ran_to_the_end(marker, "flows.jobs.launch_cycle"))
    assert ReviewCycle.objects.get(pk=cycle.pk).launch_done == total
    time.sleep(VISIBILITY + 2)  # long enough for any further delivery of the job to have run
    assert nothing_left_on(workers.queue)
    launched = Assessment.objects.filter(cycle=cycle)
    assert launched.count() == total
    assert launched.values("organisation").distinct().count() == total
    ids = [str(pk) for pk in launched.values_list("pk", flat=True)]
    assert AuditEntry.objects.filter(action="assessment.launch", subject_id__in=ids).count() == total
    for a in launched:
        assert Task.objects.filter(process_id=a.process_id, flow_task=AssessmentFlow.draft_self).count() == 1
    assert Task.objects.count() == tasks + 2 * total  # a start and a first task per organisation, nothing more
    assert Process.objects.count() == processes + total
    assert AuditEntry.objects.count() == audit + total
    assert orphan_tasks() == []


NEW_ROWS = [[f"JC-QS-HT-{50 + i}", f"河塘镇新建村{i}支部", "党支部", "基层", "JC-QS-HT"] for i in range(5)]


@pytest.mark.parametrize("mode", ["worker", "child"])
@pytest.mark.parametrize("point", ["import_rows", "import_done"])
def test_an_import_killed_mid_way_or_before_its_acknowledgement_imports_once(demo, workers, tmp_path, mode, point):
    officer = h.county_officer()
    job = excel_jobs.import_start(
        by=officer, kind="organisations", upload=SimpleUploadedFile("orgs.xlsx", workbook(NEW_ROWS))
    )
    excel_jobs.import_check(job.pk)
    job = excel_jobs.import_confirm(by=officer, job=ExcelJob.objects.get(pk=job.pk))
    assert job.state == JobState.APPLYING
    codes = [r[0] for r in NEW_ROWS]
    audit = AuditEntry.objects.count()

    marker = tmp_path / "import.marker"
    worker = workers(pool="solo" if mode == "worker" else "prefork", hang_at=point, marker=marker)
    send(workers.queue, "flows.jobs.excel_import_apply", job.pk)
    pid = wait_for(marker, worker)
    committed = point == "import_done"
    assert Organisation.objects.filter(code__in=codes).count() == (5 if committed else 0)
    assert ExcelJob.objects.get(pk=job.pk).state == (JobState.DONE if committed else JobState.APPLYING)
    kill(mode, worker, pid, workers, marker)

    eventually(lambda: ran_to_the_end(marker, "flows.jobs.excel_import_apply"))
    assert ExcelJob.objects.get(pk=job.pk).state == JobState.DONE
    time.sleep(VISIBILITY + 2)
    assert nothing_left_on(workers.queue)
    assert Organisation.objects.filter(code__in=codes).count() == 5
    created = AuditEntry.objects.filter(action="organisation.create", to_value__in=codes)
    assert sorted(created.values_list("to_value", flat=True)) == sorted(codes)  # each once
    job = ExcelJob.objects.get(pk=job.pk)
    assert job.report["applied"] and job.report["counts"]["new"] == 5  # the report of the run that imported
    assert AuditEntry.objects.count() - audit == 5  # nothing else written, nothing twice
