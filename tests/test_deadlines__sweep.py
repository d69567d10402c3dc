"""Working days, reminders and escalation along the responsibility chain, told by travelling in time."""

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse

from flows.domain import calendar
from flows.models import AuditEntry, DayOff, Notification, OversightOffice, Reminder, ReminderKind, Role, User
from flows.services.deadlines import deadlines_sweep, rag
from tests import cycle_helpers as h

D = datetime.date


def test_the_calendar_knows_holidays_and_make_up_days():
    assert not calendar.is_working_day(D(2026, 10, 1))  # National Day
    assert calendar.is_working_day(D(2026, 2, 14))  # a Saturday made a working day (调休)
    assert calendar.is_working_day(D(2027, 3, 1)) and not calendar.is_working_day(D(2027, 3, 6))  # beyond the data
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 2  # 1–7 Oct off
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)


@pytest.mark.django_db
def test_an_office_adds_a_local_day_off(demo):
    office = OversightOffice.objects.get(code="QS-ZZB")
    DayOff.objects.create(office=office, date=D(2026, 12, 9), name="县庆")
    exceptions = calendar.local_exceptions(office.pk)
    assert not calendar.is_working_day(D(2026, 12, 9), exceptions)
    assert calendar.working_days_between(D(2026, 12, 8), D(2026, 12, 10), exceptions) == 1


def notified(username, cycle):
    return list(
        Notification.objects.filter(
            user__username=username, reminder__task__process__assessment__cycle=cycle
        ).values_list("reminder__kind", flat=True)
    )


@pytest.mark.django_db
def test_remind_then_escalate_to_the_secretary_then_to_the_office(demo):
    cycle = h.open_cycle()  # self-assessment due 2026-12-10 (a Thursday)
    a = h.assessment_of(cycle)
    assert deadlines_sweep(D(2026, 12, 1)) == 0
    deadlines_sweep(D(2026, 12, 8))
    assert notified("fenguan", cycle) == [ReminderKind.REMIND]
    assert deadlines_sweep(D(2026, 12, 8)) == 0  # once is enough
    deadlines_sweep(D(2026, 12, 11))
    assert ReminderKind.ESCALATE_SECRETARY in notified("shuji", cycle)
    assert AuditEntry.objects.filter(subject_id=str(a.pk), action="deadline.escalate_secretary").exists()
    officer = h.county_officer()
    assert not notified(officer.username, cycle)
    deadlines_sweep(D(2026, 12, 15))  # three working days overdue
    assert ReminderKind.ESCALATE_OFFICE in notified(officer.username, cycle)
    history = [e.action for e in AuditEntry.objects.filter(subject_id=str(a.pk), subject_type="flows.assessment")]
    assert "deadline.escalate_office" in history


@pytest.mark.django_db
def test_with_the_secretary_post_vacant_the_escalation_goes_to_the_office_at_once(demo):
    """岗位空缺: nobody to chase the overdue draft in the organisation, so the oversight office hears of it."""
    from flows.models import RoleAssignment
    from flows.services import people as people_svc

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    secretary = RoleAssignment.objects.current().get(organisation=a.organisation, role=Role.SECRETARY)
    people_svc.role_end(by=None, assignment=secretary, end=D(2026, 12, 1))
    deadlines_sweep(D(2026, 12, 11))  # one working day overdue: the secretary's turn, but there is none
    assert ReminderKind.ESCALATE_SECRETARY in notified(h.county_officer().username, cycle)


@pytest.mark.django_db
def test_a_finished_task_is_no_longer_chased(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    deadlines_sweep(D(2026, 12, 8))
    assert notified("fenguan", cycle) == []
    assert notified("shuji", cycle) == [ReminderKind.REMIND]  # the approval is due too


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_step_once(demo):
    h.open_cycle()
    results = []
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait()
        try:
            results.append(deadlines_sweep(D(2026, 12, 15)))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    steps = Reminder.objects.count()
    assert steps > 0 and sum(results) == steps
    assert Reminder.objects.values("task", "kind").distinct().count() == steps
    per_user = Notification.objects.filter(reminder__isnull=False).values_list("user_id", "reminder_id")
    assert len(per_user) == len(set(per_user))


def test_red_yellow_green():
    today = D(2026, 12, 8)
    assert rag(D(2026, 12, 7), today) == "red"
    assert rag(D(2026, 12, 10), today) == "yellow"
    assert rag(D(2026, 12, 31), today) == "green"
    assert rag(None, today) == ""


@pytest.mark.django_db
def test_the_notification_centre_shows_only_mine_and_marks_read(client, demo):
    h.open_cycle()
    deadlines_sweep(D(2026, 12, 11))
    shuji = User.objects.get(username="shuji")
    mine = Notification.objects.filter(user=shuji).first()
    other = Notification.objects.exclude(user=shuji).first()
    client.force_login(shuji)
    body = client.get(reverse("notification_list")).content.decode()
    assert mine.title in body and (other is None or other.title not in body)
    assert "data-unread" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("notification_open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == mine.link
    mine.refresh_from_db()
    assert mine.read_at is not None
    if other is not None:
        client.post(reverse("notification_open", args=[other.pk]))
        other.refresh_from_db()
        assert other.read_at is None
    client.post(reverse("notifications_read"))
    assert not Notification.objects.filter(user=shuji, read_at=None).exists()


@pytest.mark.django_db
def test_an_escalation_is_also_mailed_when_the_person_has_an_address(
    demo, mailoutbox, django_capture_on_commit_callbacks
):
    h.open_cycle()
    User.objects.filter(username="shuji").update(email="shuji@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(D(2026, 12, 11))
    assert any("shuji@example.org" in m.to for m in mailoutbox)
    assert not any("fenguan" in ",".join(m.to) for m in mailoutbox)  # no address, no mail


@pytest.mark.django_db
def test_the_cycle_page_counts_and_filters_by_red_yellow_green(client, demo):
    from flows.services.deadlines import rag

    cycle = h.open_cycle()
    client.force_login(h.county_officer())
    colour = rag(cycle.self_due, datetime.date.today())
    body = client.get(f"/cycles/{cycle.pk}/", {"rag": colour}).content.decode()
    assert "东坪村" in body and f'class="rag {colour}"' in body
    other = next(c for c in ("red", "yellow", "green") if c != colour)
    assert "东坪村" not in client.get(f"/cycles/{cycle.pk}/", {"rag": other}).content.decode()


@pytest.mark.django_db
def test_an_overdue_rectification_item_becomes_an_accountability_task_for_the_office(demo, client):
    from decimal import Decimal

    from viewflow.workflow.models import Task

    from flows.flows import OverdueRectificationFlow
    from flows.models import AccountabilityReferral, Decision, MeasureKind, Outcome, Role
    from flows.services import deadlines

    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    h.review(
        a,
        fraction=Decimal("0.6"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[{"problem": "台账不全", "requirement": "", "owner": deputy, "due": h.next_week()}],
    )
    item = a.rectification_items.get()
    late = calendar.add_working_days(item.due, 3)
    deadlines_sweep(late)
    deadlines_sweep(late)  # twice: still one referral
    referral = AccountabilityReferral.objects.get(item=item)
    task = Task.objects.get(process=referral.process, flow_task=OverdueRectificationFlow.propose)
    officers = [m.user for m in cycle.office.members.filter(role="officer").order_by("pk")]
    assert OverdueRectificationFlow.propose.can_assign(officers[0], task)
    assert not OverdueRectificationFlow.propose.can_assign(deputy, task)
    deadlines.referral_propose(
        referral=referral,
        by=officers[0],
        kind=MeasureKind.EDUCATION,
        persons=[h.holder(h.VILLAGE, Role.SECRETARY)],
        reason="整改逾期",
    )
    referral.refresh_from_db()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # the proposer may not approve their own measure
        deadlines.referral_decide(referral=referral, by=officers[0], approve=True)
    from flows.selectors import task_url

    decide = Task.objects.get(process=referral.process, flow_task=OverdueRectificationFlow.decide)
    client.force_login(officers[1])
    assert "整改逾期" in client.get(task_url(decide)).content.decode()
    assert client.post(task_url(decide), {"decision": "approve", "expected_state": "-"}).status_code == 302
    referral.refresh_from_db()
    assert referral.measure.decision == Decision.APPROVED
    assert AccountabilityReferral.objects.filter(item=item).count() == 1


@pytest.mark.django_db
def test_an_office_keeps_its_local_calendar_and_others_cannot(client, demo):
    office = OversightOffice.objects.get(code="QS-ZZB")
    url = reverse("days_off", args=[office.pk])
    client.force_login(h.county_officer())
    response = client.post(url, {"date": "2026-12-09", "name": "县庆"})
    assert response.status_code == 302
    assert DayOff.objects.get(office=office).name == "县庆"
    assert "县庆" in client.get(url).content.decode()
    client.force_login(User.objects.get(username="shuji"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"date": "2026-12-10", "name": "x"}).status_code == 404
    day = DayOff.objects.get(office=office)
    assert client.post(reverse("day_off_delete", args=[office.pk, day.pk])).status_code == 404
    assert DayOff.objects.filter(office=office).count() == 1


@pytest.mark.django_db
def test_the_organisation_page_shows_its_assessments_with_their_status(client, demo):
    h.open_cycle()
    client.force_login(User.objects.get(username="shuji"))
    body = client.get(reverse("organisation_detail", args=["JC-QS-HT-01"])).content.decode()
    assert "2026年度青山县村党组织书记抓党建考核" in body and 'class="rag ' in body


@pytest.mark.django_db
def test_celery_beat_runs_the_same_sweeps(demo, settings):
    from flows.jobs import periodic_sweeps

    assert settings.CELERY_BEAT_SCHEDULE["periodic-sweeps"]["task"] == "flows.jobs.periodic_sweeps"
    h.open_cycle()
    result = periodic_sweeps.apply().get()
    assert set(result) == {"evaluations_closed", "deadline_steps", "audit_linked"}
