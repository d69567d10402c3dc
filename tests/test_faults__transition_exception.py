"""An exception in the middle of a step — after the state machine moved and the row was written, while the audit row
or the flow's next task is being written — leaves everything as it was: the assessment at its last wait state, its
task open and assigned as before, no extra task or process, no audit row. Through the service and through the real
task screen; on SQLite and on PostgreSQL (the step's transaction is the outermost one, as in production)."""

import pytest
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flows import AssessmentFlow
from flows.models import Role, Stage
from flows.selectors import task_url
from flows.services import assessments as svc
from flows.services import steps as step_service
from tests import cycle_helpers as h
from tests.fault_helpers import orphan_tasks, standing

pytestmark = pytest.mark.django_db(transaction=True)


class Injected(RuntimeError):
    pass


def break_audit(monkeypatch):
    """The audit write fails: the assessment row was already saved with its new state (by the step service)."""

    def failing_audit(**kwargs):
        raise Injected("audit write failed")

    monkeypatch.setattr(step_service, "audit_record", failing_audit)


def break_activation(monkeypatch):
    """The flow's activation fails after it ran: the step's task finished and the next ones were created."""
    real = svc.task_complete
    ran = []

    def failing_activation(*args, **kwargs):
        activation = real(*args, **kwargs)
        ran.append(Task.objects.filter(process=activation.process, status=STATUS.NEW).count())
        raise Injected("flow activation failed")

    monkeypatch.setattr(svc, "task_complete", failing_activation)
    return ran


FAULTS = {"audit": break_audit, "activation": break_activation}


@pytest.fixture
def waiting_for_approval(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    a.refresh_from_db()
    assert a.state == Stage.SELF_APPROVAL
    return a, h.holder(a.organisation.code, Role.SECRETARY)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failure_inside_the_service_changes_nothing(waiting_for_approval, monkeypatch, fault):
    a, secretary = waiting_for_approval
    before = standing(a)
    ran = FAULTS[fault](monkeypatch)
    with pytest.raises(Injected):
        svc.self_assessment_decide(assessment=a, by=secretary, approve=True)
    if fault == "activation":
        assert ran == [1]  # the close-mass task had been created inside the transaction before the failure
    assert standing(a) == before
    assert orphan_tasks() == []

    monkeypatch.undo()  # the same step then goes through normally
    svc.self_assessment_decide(assessment=a, by=secretary, approve=True)
    after = standing(a)
    assert after["state"] == Stage.MASS_EVALUATION and after["history"] == before["history"] + 1
    assert orphan_tasks() == []


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failure_behind_the_task_screen_changes_nothing(waiting_for_approval, monkeypatch, fault):
    a, secretary = waiting_for_approval
    task = Task.objects.get(process_id=a.process_id, flow_task=AssessmentFlow.approve_self)
    assert task.status in (STATUS.NEW, STATUS.ASSIGNED)
    before = standing(a)
    client = Client(raise_request_exception=False)
    client.force_login(secretary)
    url = task_url(task)
    assert client.get(url).status_code == 200
    FAULTS[fault](monkeypatch)

    response = client.post(url, {"decision": "approve", "comment": "", "expected_state": Stage.SELF_APPROVAL})
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统暂时无法处理您的请求" in body and "Traceback" not in body
    assert standing(a) == before  # the task is open and assigned exactly as before the click
    assert orphan_tasks() == []

    monkeypatch.undo()
    response = client.post(url, {"decision": "approve", "comment": "", "expected_state": Stage.SELF_APPROVAL})
    assert response.status_code == 302
    assert standing(a)["state"] == Stage.MASS_EVALUATION
    assert Task.objects.get(pk=task.pk).status == STATUS.DONE
    assert orphan_tasks() == []
