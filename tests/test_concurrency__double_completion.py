"""Two people completing the same task at the same instant (double click, two tabs): exactly one wins.

Threads are released together by a barrier, 200 times, through the real screen (the view wrapper, the flow
lock, the service); this file runs on SQLite and again on PostgreSQL with the rest of the suite.
"""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flows import AssessmentFlow
from flows.models import (
    AuditEntry,
    Dimension,
    Indicator,
    IndicatorTemplate,
    Organisation,
    OversightOffice,
    ReviewCycle,
    Role,
    RoleAssignment,
    Stage,
)
from flows.policy import access
from flows.selectors import task_url
from flows.services import assessments as svc
from flows.services import cycles as cycle_svc
from flows.services.synthetic import synthetic_tree
from tests.cycle_helpers import full_self_scores, open_cycle

TRIALS = 200


def one_item_template():
    t = IndicatorTemplate.objects.create(code="RACE", name="并发测试指标", sector="")
    d = Dimension.objects.create(template=t, code="D1", name="领导班子好")
    Indicator.objects.create(template=t, dimension=d, code="D1.1", name="落实第一责任人职责", max_points=Decimal(100))
    return t


@pytest.fixture
def ready_approvals(transactional_db, demo):
    """TRIALS assessments, each waiting for its secretary's approval."""
    synthetic_tree(n=TRIALS + 20, under=Organisation.objects.get(code="JC"), prefix="RACE", people=True)
    orgs = list(Organisation.objects.filter(code__startswith="RACE-", numchild=0).order_by("path")[:TRIALS])
    office = OversightOffice.objects.get(code="JC-ZZB")
    officer = office.members.filter(role="officer").first().user
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates={"": one_item_template()},
        year=2030,
        name="并发",
        explicit=orgs,
        **cycle_svc.due_dates_for_year(2030),
    )
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    out = []
    for a in ReviewCycle.objects.get(pk=cycle.pk).assessments.select_related("organisation"):
        deputy = RoleAssignment.objects.current().get(organisation=a.organisation, role=Role.DEPUTY).user
        ind = a.template.indicators.get()
        svc.self_assessment_save(assessment=a, by=deputy, scores={ind.pk: ("80", "")}, report="述职报告")
        svc.self_assessment_submit(assessment=a, by=deputy)
        secretary = RoleAssignment.objects.current().get(organisation=a.organisation, role=Role.SECRETARY).user
        task = Task.objects.get(process=a.process, flow_task=AssessmentFlow.approve_self)
        out.append((a, secretary, task_url(task)))
    assert len(out) == TRIALS
    return out


def race(user, url, data, n=2):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            results[i] = client.post(url, data).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_two_simultaneous_approvals_wins(ready_approvals):
    outcomes = []
    for a, secretary, url in ready_approvals:
        outcomes.append(race(secretary, url, {"decision": "approve", "expected_state": Stage.SELF_APPROVAL}))
    assert outcomes == [[302, 409]] * TRIALS
    for a, _secretary, _url in ready_approvals:
        a.refresh_from_db()
        assert a.state == Stage.MASS_EVALUATION
        assert AuditEntry.objects.filter(action="assessment.approve_self", subject_id=str(a.pk)).count() == 1
        assert Task.objects.filter(process=a.process, flow_task=AssessmentFlow.close_mass).count() == 1
        assert (
            Task.objects.filter(process=a.process, flow_task=AssessmentFlow.approve_self, status=STATUS.DONE).count()
            == 1
        )


@pytest.mark.django_db(transaction=True)
def test_a_step_on_one_village_does_not_keep_another_village_of_the_cycle_waiting(demo):
    """While one village's step holds its assessment (an official mid-submit), another village of the same cycle saves
    its draft at once: the step locks its own assessment's row, not the cycle, organisation or template it reads
    with it, and holds the cycle only in share mode (PostgreSQL locks rows; SQLite lets one writer in at a time
    whatever it writes)."""
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite has no row locks: one writer at a time, by design of the embedded default")
    cycle = open_cycle()
    first, second = cycle.assessments.select_related("organisation").order_by("organisation__path")[:2]
    assert first.cycle_id == second.cycle_id and first.template_id == second.template_id
    held, release, errors = threading.Event(), threading.Event(), []

    def first_village_mid_step():
        try:
            with transaction.atomic():
                svc._lock(first)  # what every step on the assessment starts with
                held.set()
                release.wait(30)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=first_village_mid_step)
    thread.start()
    try:
        assert held.wait(30)
        deputy = access.person_in_direct_charge(second.organisation)
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '3s'")  # waiting on the first village's locks fails instead
            saved = svc.self_assessment_save(
                assessment=second, by=deputy, scores=full_self_scores(second), report="述职报告"
            )
        # but an operation on the whole cycle (closing it, opening it, a launch chunk: a lock for update on the
        # cycle's row) waits for the step under way
        with pytest.raises(DatabaseError), transaction.atomic():
            ReviewCycle.objects.select_for_update(nowait=True).get(pk=cycle.pk)
    finally:
        release.set()
        thread.join(30)
    assert not errors
    assert saved.report == "述职报告" and saved.self_score is not None
