"""An inspection from the draw to its consequences: checklist and findings, joint sign-off, the office's decision
adding rectification items (reopening a closed year) and lowering a rating with a recorded reason."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flows import InspectionFlow, RectificationItemFlow
from flows.models import (
    AuditEntry,
    InspectionState,
    ItemState,
    Outcome,
    PlanState,
    Rating,
    Role,
    Stage,
)
from flows.services import assessments as a_svc
from flows.services import inspections as svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as ch
from tests import spotcheck_helpers as h

pytestmark = pytest.mark.django_db
VILLAGE = ch.VILLAGE


def open_tasks(process):
    return list(Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED]))


@pytest.fixture
def setup(demo):
    """The county's cycle, and a spot check by the county office over all its villages."""
    cycle = ch.open_cycle()
    officer = ch.county_officer()
    plan = h.drawn_plan(by=officer.username, office="QS-ZZB", cycle=cycle, scope_root=None, rate_percent=100)
    insp = plan.inspections.get(organisation__code=VILLAGE)
    return {"cycle": cycle, "officer": officer, "plan": plan, "insp": insp}


def decide(insp, officer, **kwargs):
    return svc.inspection_decide(inspection=insp, by=officer, **kwargs)


def confirm_all(insp, *, owner, due=None):
    due = due or datetime.date.today() + datetime.timedelta(days=30)
    return {f.pk: {"confirm": True, "owner": owner, "due": due, "note": ""} for f in insp.findings.all()}


def test_a_confirmed_finding_becomes_a_rectification_item_in_the_secretarys_inbox(setup):
    insp, officer = setup["insp"], setup["officer"]
    lead = h.record(insp)
    insp.refresh_from_db()
    assert insp.state == InspectionState.SIGNING
    [sign_task] = open_tasks(insp.process)
    second = h.seats(insp)[1]
    assert sign_task.flow_task == InspectionFlow.sign and sign_task.owner == second
    assert lead != second
    h.sign_all(insp)
    insp.refresh_from_db()
    assert insp.state == InspectionState.REVIEW
    [review_task] = open_tasks(insp.process)
    assert review_task.flow_task == InspectionFlow.review and review_task.owner is None

    secretary = ch.holder(VILLAGE, Role.SECRETARY)
    decide(insp, officer, decisions=confirm_all(insp, owner=secretary), comment="情况属实")
    insp.refresh_from_db()
    assert insp.state == InspectionState.DONE
    finding = insp.findings.get()
    item = finding.rectification_item
    assert item.assessment == ch.assessment_of(setup["cycle"])
    assert (item.problem, item.owner, item.state) == (finding.description, secretary, ItemState.OPEN)
    [task] = open_tasks(item.process)
    assert task.flow_task == RectificationItemFlow.report and task.owner == secretary
    assert AuditEntry.objects.filter(action="rectification.create", subject_id=str(item.pk)).exists()
    assert not open_tasks(insp.process)


def test_the_plan_closes_when_every_inspection_is_decided(setup):
    plan, officer = setup["plan"], setup["officer"]
    for insp in plan.inspections.all():
        h.record(insp, finding=None)
        h.sign_all(insp)
        insp.refresh_from_db()
        plan.refresh_from_db()
        assert plan.state == PlanState.DRAWN
        decide(insp, officer, decisions={})
    plan.refresh_from_db()
    assert plan.state == PlanState.CLOSED


def test_a_finding_on_a_closed_year_reopens_its_rectification_and_closing_it_again_needs_verification(setup):
    cycle, insp, officer = setup["cycle"], setup["insp"], setup["officer"]
    a = ch.through_to_review(cycle)
    ch.review(a, fraction=Decimal("0.85"), outcome=Outcome.NONE)
    a.refresh_from_db()
    assert a.state == Stage.CLOSED and a.rating == Rating.FAIRLY_GOOD
    h.record(insp)
    h.sign_all(insp)
    secretary = ch.holder(VILLAGE, Role.SECRETARY)
    decide(insp, officer, decisions=confirm_all(insp, owner=secretary))
    a.refresh_from_db()
    assert a.state == Stage.RECTIFICATION
    assert AuditEntry.objects.filter(action="assessment.reopen_rectification", subject_id=str(a.pk)).exists()
    item = insp.findings.get().rectification_item
    a_svc.rectification_report(item=item, by=secretary, report="已补齐会议记录")
    a_svc.rectification_verify(item=item, by=ch.reviewer_of(a), verified=True)
    a.refresh_from_db()
    assert a.state == Stage.CLOSED


def test_the_rating_can_be_lowered_with_a_reason_and_never_raised(setup):
    cycle, insp, officer = setup["cycle"], setup["insp"], setup["officer"]
    a = ch.through_to_review(cycle)
    ch.review(a, fraction=Decimal("0.85"), outcome=Outcome.NONE)
    h.record(insp, finding=None)
    h.sign_all(insp)
    with pytest.raises(ValidationError) as exc:
        decide(insp, officer, decisions={}, lower_rating_to=Rating.GOOD, rating_reason="表现好")
    assert "只能降低" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        decide(insp, officer, decisions={}, lower_rating_to=Rating.AVERAGE, rating_reason=" ")
    a.refresh_from_db()
    assert a.rating == Rating.FAIRLY_GOOD
    decide(insp, officer, decisions={}, lower_rating_to=Rating.AVERAGE, rating_reason="三会一课台账造假")
    a.refresh_from_db()
    assert a.rating == Rating.AVERAGE
    entry = AuditEntry.objects.get(action="assessment.rating_lowered", subject_id=str(a.pk))
    assert (entry.from_value, entry.to_value, entry.comment) == ("fairly_good", "average", "三会一课台账造假")
    assert entry.actor == officer


def test_a_decision_with_an_error_changes_nothing(setup):
    insp, officer = setup["insp"], setup["officer"]
    h.record(insp)
    h.sign_all(insp)
    secretary = ch.holder(VILLAGE, Role.SECRETARY)
    past = datetime.date.today() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        decide(insp, officer, decisions=confirm_all(insp, owner=secretary, due=past))
    assert "不能早于今天" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        decide(insp, officer, decisions={f.pk: {"confirm": False, "note": ""} for f in insp.findings.all()})
    assert "不予认定的理由" in " ".join(exc.value.messages)
    outsider = h.user("dangyuan")
    with pytest.raises(ValidationError):
        decide(insp, officer, decisions=confirm_all(insp, owner=outsider))
    insp.refresh_from_db()
    assert insp.state == InspectionState.REVIEW
    assert insp.findings.get().decision == "" and insp.findings.get().rectification_item is None


def test_only_the_office_decides(setup):
    insp = setup["insp"]
    h.record(insp, finding=None)
    h.sign_all(insp)
    with pytest.raises(PermissionDenied):
        decide(insp, h.user("zuzhibu"), decisions={})  # an officer of another office


def test_the_checklist_must_be_complete_and_only_the_lead_records(setup):
    insp = setup["insp"]
    lead, other = h.seats(insp)
    with pytest.raises(PermissionDenied):
        svc.inspection_save(inspection=insp, by=other, results={}, summary="x")
    with pytest.raises(ValidationError) as exc:
        svc.inspection_submit(inspection=insp, by=lead)
    assert "三会一课" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        svc.inspection_save(inspection=insp, by=lead, results={"C1": ("excellent", "")}, summary="")
    with pytest.raises(ValidationError):
        svc.finding_add(inspection=insp, by=lead, severity="catastrophic", description="问题")
    insp.refresh_from_db()
    assert insp.state == InspectionState.RECORDING and not insp.findings.exists()


def test_sending_back_needs_a_reason_clears_the_signatures_and_returns_the_record_to_the_lead(setup):
    insp = setup["insp"]
    lead = h.record(insp)
    second = h.seats(insp)[1]
    [unseated] = [h.user(n) for n in h.INSPECTORS if n not in (lead.username, second.username)]
    with pytest.raises(PermissionDenied):
        svc.inspection_sign(inspection=insp, by=unseated, agree=True)
    with pytest.raises(ValidationError):
        svc.inspection_sign(inspection=insp, by=second, agree=False, comment="")
    svc.inspection_sign(inspection=insp, by=second, agree=False, comment="问题描述不具体，请补充时间和数量")
    insp.refresh_from_db()
    assert insp.state == InspectionState.RECORDING
    assert not insp.seats.filter(signed_at__isnull=False).exists()
    [task] = open_tasks(insp.process)
    assert task.flow_task == InspectionFlow.record and task.owner == lead
    svc.inspection_submit(inspection=insp, by=lead)
    with pytest.raises(AlreadyHandled):
        svc.inspection_submit(inspection=insp, by=lead)
    h.sign_all(insp)
    insp.refresh_from_db()
    assert insp.state == InspectionState.REVIEW
