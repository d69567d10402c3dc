"""Rectification in depth (issue 20): plan and progress, the history of extensions, the clock waiting while an
extension is asked, and the re-check (回头看) that the sweep opens after verification and that may reopen the item."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from flows.flows import RectificationItemFlow
from flows.models import AccountabilityReferral, AuditEntry, ItemState, Reminder, Role, Stage
from flows.models.assessments import ExtensionDecision, RecheckState, RectificationRecheck
from flows.models.people import today
from flows.selectors.history import ACTIONS
from flows.selectors.rectification import items_in_depth
from flows.services import assessments as svc
from flows.services import deadlines
from flows.services import rectification as rsvc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h
from tests import rectification_helpers as rh

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(demo):
    return rh.item_under_rectification()


def actions_of(item):
    return list(
        AuditEntry.objects.filter(subject_type="flows.rectificationitem", subject_id=str(item.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_plan_and_progress_are_written_by_the_owner_or_the_secretary_and_audited(item):
    reviewer = h.reviewer_of(item.assessment)
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    with pytest.raises(ValidationError):
        rsvc.rectification_plan_save(item=item, by=item.owner, plan="  ")
    with pytest.raises(PermissionDenied):
        rsvc.rectification_plan_save(item=item, by=reviewer, plan="不是我的事项")
    rsvc.rectification_plan_save(item=item, by=item.owner, plan="一、逐月补记；二、书记审核")
    rsvc.rectification_plan_save(item=item, by=secretary, plan="一、逐月补记；二、书记审核；三、镇党委抽查")
    item.refresh_from_db()
    assert item.plan.endswith("镇党委抽查") and item.plan_by == secretary and item.plan_at is not None

    with pytest.raises(ValidationError) as future:
        rsvc.rectification_progress_add(item=item, by=item.owner, on=today() + datetime.timedelta(days=1), text="x")
    assert "on" in future.value.message_dict
    with pytest.raises(PermissionDenied):
        rsvc.rectification_progress_add(item=item, by=reviewer, on=today(), text="已补记三个月")
    rsvc.rectification_progress_add(item=item, by=item.owner, on=today(), text="已补记三个月")
    (deep,) = items_in_depth([item])
    assert [(p.on, p.by, p.text) for p in deep.progress] == [(today(), item.owner, "已补记三个月")]
    assert actions_of(item)[-3:] == ["rectification.plan", "rectification.plan_revised", "rectification.progress"]
    assert all(a in ACTIONS for a in actions_of(item))

    rh.report_and_verify(item)
    with pytest.raises(AlreadyHandled):  # reported and verified: the plan is what it was
        rsvc.rectification_plan_save(item=item, by=item.owner, plan="改了")
    with pytest.raises(AlreadyHandled):
        rsvc.rectification_progress_add(item=item, by=item.owner, on=today(), text="又补记")


def test_extensions_keep_the_old_dates_and_only_an_approval_moves_the_due_date(item):
    first_due = item.due
    reviewer = h.reviewer_of(item.assessment)
    svc.extension_request(item=item, by=item.owner, due=rh.later(item, 30), reason="等待镇里统一培训")
    (deep,) = items_in_depth([item])
    assert deep.pending_extension.old_due == first_due and deep.pending_extension.new_due == rh.later(item, 30)
    svc.extension_decide(item=item, by=reviewer, grant=True, comment="同意")
    item.refresh_from_db()
    assert item.due == first_due + datetime.timedelta(days=30)

    svc.extension_request(item=item, by=item.owner, due=rh.later(item, 10), reason="人手不足")
    svc.extension_decide(item=item, by=reviewer, grant=False, comment="期限内可以完成")
    item.refresh_from_db()
    assert item.due == first_due + datetime.timedelta(days=30)  # refused: the date stands
    (deep,) = items_in_depth([item])
    assert deep.pending_extension is None and deep.first_due == first_due
    assert [(e.old_due, e.decision, e.decided_by, e.comment) for e in deep.decided_extensions] == [
        (first_due, ExtensionDecision.APPROVED, reviewer, "同意"),
        (item.due, ExtensionDecision.REFUSED, reviewer, "期限内可以完成"),
    ]
    with pytest.raises(AlreadyHandled):  # a second click on the decision
        svc.extension_decide(item=item, by=reviewer, grant=True)


def test_reminders_and_escalation_wait_while_an_extension_is_asked(item):
    long_after = item.due + datetime.timedelta(days=30)
    mine = Reminder.objects.filter(task__process=item.process)
    # overdue: the owner's report task is escalated, up to the office, which gets the referral
    deadlines.deadlines_sweep(today=long_after)
    assert mine.count() == 2
    referral = AccountabilityReferral.objects.get(item=item)
    svc.extension_request(item=item, by=item.owner, due=long_after + datetime.timedelta(days=30), reason="村两委换届")
    decide = rh.waiting(item, "decide_extension")
    deadlines.deadlines_sweep(today=long_after + datetime.timedelta(days=1))
    assert not Reminder.objects.filter(task=decide).exists() and mine.count() == 2
    officer = h.county_officer()
    with pytest.raises(ValidationError) as waits, transaction.atomic():
        deadlines.referral_propose(referral=referral, by=officer, kind="admonishing_talk", persons=[], reason="逾期")
    assert "reason" in waits.value.message_dict

    svc.extension_decide(item=item, by=h.reviewer_of(item.assessment), grant=False, comment="不同意")
    # refused: the clock runs again on the owner's new report task
    deadlines.deadlines_sweep(today=long_after + datetime.timedelta(days=1))
    assert Reminder.objects.filter(task=rh.waiting(item, "report")).exists()


def test_a_verified_item_is_rechecked_after_the_cycles_interval_and_confirmed(item):
    cycle = item.assessment.cycle
    with pytest.raises(PermissionDenied):
        rsvc.cycle_recheck_interval_set(cycle=cycle, by=item.owner, days=30)
    with pytest.raises(ValidationError):
        rsvc.cycle_recheck_interval_set(cycle=cycle, by=h.county_officer(), days=0)
    rsvc.cycle_recheck_interval_set(cycle=cycle, by=h.county_officer(), days=30)
    reviewer = rh.report_and_verify(item)
    item.assessment.refresh_from_db()
    assert item.assessment.state == Stage.CLOSED
    rc = RectificationRecheck.objects.get(item=item)
    assert rc.due == today() + datetime.timedelta(days=30) == item.recheck_due
    assert rh.waiting(item, "recheck") is None

    assert rsvc.rechecks_open_due(rc.due - datetime.timedelta(days=1)) == 0
    deadlines.deadlines_sweep(today=rc.due)  # the sweep opens it ...
    assert rh.waiting(item, "recheck") is not None
    assert rsvc.rechecks_open_due(rc.due) == 0  # ... once
    task = rh.waiting(item, "recheck")
    assert RectificationItemFlow.recheck.is_eligible(reviewer, task)
    assert not RectificationItemFlow.recheck.is_eligible(item.owner, task)
    deadlines.deadlines_sweep(today=rc.due + datetime.timedelta(days=60))
    assert not Reminder.objects.filter(task=task).exists()  # not chased along the village's chain

    with pytest.raises(PermissionDenied):
        rsvc.recheck_decide(item=item, by=item.owner, confirm=True)
    rsvc.recheck_decide(item=item, by=reviewer, confirm=True, comment="记录规范，整改成效巩固")
    item.refresh_from_db()
    rc.refresh_from_db()
    assert item.state == ItemState.VERIFIED and item.recheck_due is None
    assert rc.state == RecheckState.CONFIRMED and rc.decided_by == reviewer
    item.process.refresh_from_db()
    assert item.process.finished is not None
    with pytest.raises(AlreadyHandled):
        rsvc.recheck_decide(item=item, by=reviewer, confirm=True)


def test_a_recheck_reopens_the_item_with_a_new_due_date_and_the_year_goes_back_to_rectification(item):
    reviewer = rh.report_and_verify(item)
    rc = RectificationRecheck.objects.get(item=item)
    rsvc.rechecks_open_due(rc.due)
    new_due = today() + datetime.timedelta(days=20)
    with pytest.raises(ValidationError) as missing:
        rsvc.recheck_decide(item=item, by=reviewer, confirm=False, comment="", new_due=None)
    assert set(missing.value.message_dict) == {"comment", "new_due"}
    rsvc.recheck_decide(item=item, by=reviewer, confirm=False, comment="记录又中断了两个月", new_due=new_due)
    item.refresh_from_db()
    assert item.state == ItemState.OPEN and item.due == new_due and item.return_comment == "记录又中断了两个月"
    item.assessment.refresh_from_db()
    assert item.assessment.state == Stage.RECTIFICATION
    assert rh.waiting(item, "report").owner == item.owner
    assert {"rectification.recheck_scheduled", "rectification.reopen"} <= set(actions_of(item))

    rh.report_and_verify(item)  # reported and verified again: the year closes, and a new re-check is scheduled
    item.assessment.refresh_from_db()
    assert item.assessment.state == Stage.CLOSED
    assert list(item.rechecks.values_list("state", flat=True)) == [RecheckState.REOPENED, RecheckState.SCHEDULED]
