"""A process taking a step is killed (SIGKILL) after the new state, its audit row and the next task were written but
before they were committed: afterwards the assessment is at its last wait state, no task is orphaned, and the same
step then succeeds normally. A real process (tests/fault_worker.py) on the test database, SQLite file or PostgreSQL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flows import AssessmentFlow
from flows.models import Assessment, Role, Stage
from flows.services import assessments as svc
from tests import cycle_helpers as h
from tests.e2e.conftest import test_database_url as database_url
from tests.fault_helpers import orphan_tasks, standing

pytestmark = pytest.mark.django_db(transaction=True)
SCRIPT = Path(settings.BASE_DIR) / "tests" / "fault_worker.py"


def start(*args, hang_at, marker, **env):
    environ = os.environ | {
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
        "FAULT_HANG_AT": hang_at,
        "FAULT_MARKER": str(marker),
        **env,
    }
    log = open(marker.with_suffix(".log"), "a")  # noqa: SIM115
    return subprocess.Popen([sys.executable, str(SCRIPT), *args], env=environ, stdout=log, stderr=log)


def wait_for(marker, process, timeout=60):
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert process.poll() is None, marker.with_suffix(".log").read_text()
        assert time.monotonic() < deadline, "the process never reached the hook"
        time.sleep(0.1)
    return int(marker.read_text())


def test_a_process_killed_mid_step_leaves_the_step_to_be_taken_again(demo, tmp_path):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    secretary = h.holder(a.organisation.code, Role.SECRETARY)
    before = standing(a)
    assert before["state"] == Stage.SELF_APPROVAL

    marker = tmp_path / "step.marker"
    process = start("step", str(a.pk), str(secretary.pk), hang_at="step", marker=marker)
    try:
        assert wait_for(marker, process) == process.pid
        # written but not committed: nobody else sees it yet
        assert Assessment.objects.get(pk=a.pk).state == Stage.SELF_APPROVAL
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()

    assert standing(a) == before
    assert orphan_tasks() == []
    task = Task.objects.get(process_id=a.process_id, flow_task=AssessmentFlow.approve_self)
    assert task.status in (STATUS.NEW, STATUS.ASSIGNED)

    # the same step then goes through normally (the dead process's locks are gone)
    svc.self_assessment_decide(assessment=Assessment.objects.get(pk=a.pk), by=secretary, approve=True)
    after = standing(a)
    assert after["state"] == Stage.MASS_EVALUATION
    assert after["history"] == before["history"] + 1
    assert Task.objects.get(pk=task.pk).status == STATUS.DONE
    assert Task.objects.filter(process_id=a.process_id, flow_task=AssessmentFlow.close_mass).count() == 1
    assert orphan_tasks() == []
