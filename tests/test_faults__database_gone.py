"""The database connection breaks in the middle of a request, between two statements of a step: the user gets a
clear page in Chinese (503, the action was not saved, try again; no traceback), nothing committed before is lost,
nothing half-written remains, and the next request works. On PostgreSQL the request's own backend is terminated
from another connection (pg_terminate_backend); on SQLite the connection raises as a dropped one would."""

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client
from viewflow.workflow.models import Task

from flows.flows import AssessmentFlow
from flows.models import Assessment, Role, Stage
from flows.selectors import task_url
from flows.services import assessments as svc
from flows.services import steps as step_service
from tests import cycle_helpers as h
from tests.fault_helpers import orphan_tasks, standing

pytestmark = pytest.mark.django_db(transaction=True)


def break_the_connection():
    """Called inside the request, on the request's connection, after some of the step's statements ran."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        pid = connection.connection.info.backend_pid
        with psycopg.connect(
            dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], password=db["PASSWORD"] or None
        ) as other:
            killed = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]
        assert killed
        return

    def dropped(execute, sql, params, many, context):
        raise OperationalError("disk I/O error: the database file is gone")

    connection.execute_wrappers.append(dropped)


@pytest.fixture
def waiting_for_approval(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    return Assessment.objects.get(pk=a.pk), h.holder(a.organisation.code, Role.SECRETARY)


def test_the_database_going_away_mid_request_gives_a_clear_page_and_loses_nothing(
    waiting_for_approval, monkeypatch
):
    a, secretary = waiting_for_approval
    before = standing(a)
    report_before, self_score_before = a.report, a.self_score
    task = Task.objects.get(process_id=a.process_id, flow_task=AssessmentFlow.approve_self)
    client = Client(raise_request_exception=False)
    client.force_login(secretary)
    url = task_url(task)

    real_transition = step_service.step_take
    broken = []

    def transition_then_lose_the_database(*args, **kwargs):
        result = real_transition(*args, **kwargs)  # the state row and the audit row were written ...
        break_the_connection()  # ... and the connection goes before the flow's task is completed
        broken.append(True)
        return result

    monkeypatch.setattr(svc, "step_take", transition_then_lose_the_database)
    response = client.post(url, {"decision": "approve", "comment": "", "expected_state": Stage.SELF_APPROVAL})
    connection.execute_wrappers.clear()
    monkeypatch.undo()

    body = response.content.decode()
    assert broken == [True]
    assert response.status_code == 503
    assert "服务暂时不可用" in body and "操作没有保存" in body and "再试" in body
    assert "Traceback" not in body and "OperationalError" not in body

    # the next request works (a fresh connection) and shows the step still waiting
    assert client.get(url).status_code == 200
    assert standing(a) == before
    a = Assessment.objects.get(pk=a.pk)
    assert (a.report, a.self_score) == (report_before, self_score_before)  # committed earlier: intact
    assert orphan_tasks() == []

    # and trying again succeeds
    response = client.post(url, {"decision": "approve", "comment": "", "expected_state": Stage.SELF_APPROVAL})
    assert response.status_code == 302
    assert Assessment.objects.get(pk=a.pk).state == Stage.MASS_EVALUATION


def test_the_database_failing_in_a_middleware_gives_the_same_page(demo, monkeypatch):
    """Outside any view (here: the session middleware reading the session), handler500 gives the same 503 page."""
    from django.contrib.sessions.middleware import SessionMiddleware

    def gone(self, request):
        raise OperationalError("server closed the connection unexpectedly")

    client = Client(raise_request_exception=False)
    client.force_login(h.holder(h.VILLAGE, Role.SECRETARY))
    monkeypatch.setattr(SessionMiddleware, "process_request", gone)
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 503
    assert "服务暂时不可用" in body and "Traceback" not in body
    monkeypatch.undo()
    assert client.get("/").status_code == 200
