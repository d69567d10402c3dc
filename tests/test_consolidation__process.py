"""Consolidating a weak-and-lax organisation (issue 20) through its services: designation with the criteria met, a
plan with a responsible leader, work team and milestones, the milestones as the secretary's tasks (红黄绿, reminders
and escalation), progress reports, the acceptance check (not passed with reasons, then passed), and lifting —
refused without a passed check from every door (the service a shell calls, the database, the roster import, the
organisation page). The year's classification and the indicator 软弱涣散党组织整顿 read from it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from viewflow.workflow.models import Task

from flows.domain import consolidation as rules
from flows.models import (
    AuditEntry,
    ConsolidationPlan,
    Notification,
    Organisation,
    Reminder,
    Role,
    RoleAssignment,
    User,
    WeakAndLaxPeriod,
)
from flows.models.people import today
from flows.models.states import ConsolidationState, MilestoneState
from flows.selectors import consolidation as reads
from flows.services import classifications as cls
from flows.services import consolidation as svc
from flows.services import organisations as org_services
from flows.services.tasks import AlreadyHandled

pytestmark = pytest.mark.django_db

CODE = "JC-QS-HT-01"  # 东坪村: secretary `shuji`


def officer():
    return User.objects.get(username="zuzhibu")


def secretary(org):
    return RoleAssignment.objects.current().get(organisation=org, role=Role.SECRETARY).user


def designated(org, days_ago=100):
    return cls.weak_and_lax_designate(
        organisation=org,
        start=today() - datetime.timedelta(days=days_ago),
        reason="三看两查：班子不团结，组织生活不正常",
        criteria=["leadership_divided", "org_life"],
        other="村务公开流于形式",
        by=officer(),
    )


def planned(period, *, dues=(-10, 30)):
    plan = svc.plan_save(
        period=period,
        measures="调整班子，恢复三会一课",
        leader=User.objects.get(username="xianshuji"),
        team=[(User.objects.get(username="dingxuejun"), "驻村队长")],
        by=officer(),
    )
    for i, d in enumerate(dues):
        svc.milestone_add(plan=plan, title=f"节点{i + 1}", due=today() + datetime.timedelta(days=d), by=officer())
    return plan


def test_designation_records_the_criteria_and_who(demo):
    org = Organisation.objects.get(code=CODE)
    with pytest.raises(ValidationError) as e:
        cls.weak_and_lax_designate(organisation=org, start=today(), reason="x", criteria=[], by=officer())
    assert "criteria" in e.value.message_dict
    with pytest.raises(ValidationError):
        cls.weak_and_lax_designate(organisation=org, start=today(), reason="x", criteria=["other"], by=officer())
    assert not WeakAndLaxPeriod.objects.filter(organisation=org).exists()
    period = designated(org)
    assert period.designated_by == officer()
    assert sorted(c.criterion for c in period.criteria.all()) == ["leadership_divided", "org_life", "other"]
    assert period.criteria.get(criterion="other").note == "村务公开流于形式"


def test_the_whole_path_designation_plan_progress_acceptance_lift(demo):
    org = Organisation.objects.get(code=CODE)
    sec = secretary(org)
    period = designated(org)
    plan = planned(period)
    assert plan.state == ConsolidationState.DRAFT and plan.team.count() == 1
    # the plan is put in force: each milestone is a task of the secretary, with its own due date
    with pytest.raises(PermissionDenied):
        svc.plan_start(plan=plan, by=sec)
    svc.plan_start(plan=plan, by=officer())
    plan.refresh_from_db()
    assert plan.state == ConsolidationState.UNDER_WAY
    tasks = Task.objects.filter(process__consolidation_milestone__plan=plan, flow_task_type="HUMAN")
    assert tasks.count() == 2 and all(t.owner_id == sec.pk for t in tasks)
    # a milestone added now becomes a task at once
    late = svc.milestone_add(plan=plan, title="节点3", due=today() + datetime.timedelta(days=60), by=officer())
    assert late.process_id
    # only the secretary reports progress
    first, second, third = plan.milestones.order_by("due")
    with pytest.raises(PermissionDenied):
        svc.progress_report(milestone=first, text="x", completes=True, by=officer())
    with pytest.raises(ValidationError):
        svc.progress_report(milestone=first, text="  ", completes=False, by=sec)
    svc.progress_report(milestone=first, text="班子已调整", completes=False, by=sec)
    first.refresh_from_db()
    assert first.state == MilestoneState.OPEN
    # a check cannot pass while milestones are open; a check not passed needs its reasons and changes nothing
    with pytest.raises(ValidationError):
        svc.acceptance_record(plan=plan, passed=True, on=today(), reasons="", by=officer())
    with pytest.raises(ValidationError):
        svc.acceptance_record(plan=plan, passed=False, on=today(), reasons="", by=officer())
    failed = svc.acceptance_record(plan=plan, passed=False, on=today(), reasons="群众满意度不足", by=officer())
    assert not failed.passed and ConsolidationPlan.objects.get(pk=plan.pk).state == ConsolidationState.UNDER_WAY
    for m in (first, second, third):
        svc.progress_report(milestone=m, text="已完成", completes=True, by=sec)
    with pytest.raises(AlreadyHandled):
        svc.progress_report(milestone=first, text="again", completes=True, by=sec)  # double click
    assert not Task.objects.filter(process__consolidation_milestone__plan=plan, status__in=svc.OPEN).exists()
    # lifting before a passed check: refused
    with pytest.raises(ValidationError):
        cls.weak_and_lax_lift(organisation=org, end=today(), reason="整顿到位", by=officer())
    svc.acceptance_record(plan=plan, passed=True, on=today(), reasons="", by=officer())
    period.refresh_from_db()
    assert period.accepted_on == today()
    with pytest.raises(ValidationError):  # not before the check
        cls.weak_and_lax_lift(organisation=org, end=today() - datetime.timedelta(days=1), reason="x", by=officer())
    cls.weak_and_lax_lift(organisation=org, end=today(), reason="验收合格，销号", by=officer())
    org.refresh_from_db()
    period.refresh_from_db()
    assert not org.weak_and_lax and period.end == today()
    assert ConsolidationPlan.objects.get(pk=plan.pk).state == ConsolidationState.LIFTED
    actions = set(AuditEntry.objects.filter(action__startswith="consolidation.").values_list("action", flat=True))
    assert {"consolidation.plan", "consolidation.start", "consolidation.complete", "consolidation.accept"} <= actions
    assert {"consolidation.not_accepted", "consolidation.lift", "consolidation.progress"} <= actions
    with pytest.raises(AlreadyHandled):
        svc.plan_save(period=period, measures="x", leader=officer(), by=officer())


def test_the_shell_door_service_and_database_refuse_lifting_without_a_passed_check(demo):
    org = Organisation.objects.get(code=CODE)
    period = designated(org)
    # the service a shell calls
    with pytest.raises(ValidationError, match="验收|acceptance"):
        cls.weak_and_lax_lift(organisation=org, end=today(), reason="x", by=officer())
    # a plan under way, not accepted: still refused
    plan = planned(period)
    svc.plan_start(plan=plan, by=officer())
    with pytest.raises(ValidationError):
        cls.weak_and_lax_lift(organisation=org, end=today(), reason="x", by=officer())
    # writing the end date straight into the table: the database refuses
    with pytest.raises(IntegrityError), transaction.atomic():
        WeakAndLaxPeriod.objects.filter(pk=period.pk).update(end=today(), end_reason="绕过")
    # nor can the plan's state be set by hand (a protected state field)
    plan = ConsolidationPlan.objects.get(pk=plan.pk)
    with pytest.raises(AttributeError):
        plan.state = ConsolidationState.ACCEPTED
    period.refresh_from_db()
    assert period.end is None and Organisation.objects.get(pk=org.pk).weak_and_lax


def test_the_excel_door_the_roster_cannot_take_the_flag_off(demo):
    org = Organisation.objects.get(code=CODE)
    designated(org)
    org.refresh_from_db()
    with pytest.raises(ValidationError) as e:
        org_services.organisation_update(by=officer(), organisation=org, weak_and_lax=False)
    assert "weak_and_lax" in e.value.message_dict
    assert Organisation.objects.get(pk=org.pk).weak_and_lax


def test_the_excel_door_an_import_that_takes_the_flag_off_is_refused_at_its_row(demo, tmp_path):
    from flows.excel import templates
    from flows.policy import access
    from tests import cycle_helpers as h
    from tests.excel_helpers import edit, header_columns, imported, rows_where

    org = Organisation.objects.get(code="JC-QS-HT-02")
    designated(org)
    county = h.county_officer()

    def fill(wb):
        ws = wb["组织"]
        col = header_columns(ws)
        ws.cell(rows_where(ws, col["组织编码"], org.code, 2)[0], col["软弱涣散"], "否")

    orgs = access.overseen_organisations(county)
    roster = templates.organisations_template(orgs, RoleAssignment.objects.current().filter(organisation__in=orgs))
    path = edit(tmp_path, roster, fill)
    report = imported("organisations", path, county)
    assert not report.applied
    assert any("验收" in line for line in report.lines()), report.lines()
    assert Organisation.objects.get(pk=org.pk).weak_and_lax
    assert WeakAndLaxPeriod.objects.get(organisation=org).end is None


def test_the_screen_door_the_organisation_page_refuses_lifting(client, demo):
    org = Organisation.objects.get(code=CODE)
    designated(org)
    client.force_login(officer())
    response = client.post(
        reverse("weak_and_lax_change", kwargs={"code": org.code}),
        {"action": "lift", "date": today().isoformat(), "reason": "整顿到位"},
    )
    assert response.status_code == 400 and "验收" in response.content.decode()
    assert Organisation.objects.get(pk=org.pk).weak_and_lax


def test_overdue_milestones_are_red_and_escalate_like_any_task(client, demo):
    org = Organisation.objects.get(code=CODE)
    sec = secretary(org)
    plan = planned(designated(org), dues=(-15, 1, 40))
    svc.plan_start(plan=plan, by=officer())
    page = reads.period_page(officer(), plan.period)
    assert [m.rag for m in page["milestones"]] == ["red", "yellow", "green"]
    # 我的待办: the secretary sees the tasks with their due dates
    from flows.selectors.tasks import _task_rows

    mine = Task.objects.filter(owner=sec, process__consolidation_milestone__plan=plan, flow_task_type="HUMAN")
    rows = _task_rows(mine.order_by("pk"))
    assert sorted(r["rag"] for r in rows) == ["green", "red", "yellow"]
    assert all(r["organisation"] == org.name for r in rows)
    client.force_login(sec)
    red = client.get(reverse("inbox") + "?due=red").content.decode()
    green = client.get(reverse("inbox") + "?due=green").content.decode()
    assert "consolidation milestone" in red.lower() or "整顿" in red
    assert red.count(org.name) >= 1 and org.name in green
    steps = svc.milestones_sweep()
    assert steps >= 3  # the overdue one to the leader and secretary, and to the office; the next one reminded
    assert svc.milestones_sweep() == 0  # each step once
    kinds = set(
        Reminder.objects.filter(task__process__consolidation_milestone__plan=plan).values_list("kind", flat=True)
    )
    assert kinds == {"remind", "escalate_secretary", "escalate_office"}
    assert Notification.objects.filter(user=plan.leader, title__contains="节点1").exists()
    assert plan.office.code == "JC-ZZB"  # the office above that drew up the plan hears of the long-overdue one
    assert Notification.objects.filter(user__username="zuzhibu", title__contains="节点1").exists()
    from flows.jobs import run_sweeps

    assert run_sweeps()["deadline_steps"] >= 0


def test_the_years_classification_and_the_indicator_read_from_the_consolidation(demo):
    org = Organisation.objects.get(code=CODE)
    year = today().year
    assert reads.indicator_status(org, year) == rules.NOT_LISTED
    assert reads.indicator_suggestion(org, year, 5)["points"] == 5
    period = designated(org, days_ago=10)
    assert org.pk in reads.weak_in_year([org.pk], year)
    assert reads.indicator_status(org, year) == rules.NOT_ACCEPTED
    assert reads.indicator_suggestion(org, year, 5)["points"] == 0
    plan = planned(period, dues=(1,))
    svc.plan_start(plan=plan, by=officer())
    svc.progress_report(milestone=plan.milestones.get(), text="完成", completes=True, by=secretary(org))
    svc.acceptance_record(plan=plan, passed=True, on=today(), reasons="", by=officer())
    assert reads.indicator_status(org, year) == rules.ACCEPTED
    assert reads.indicator_suggestion(org, year, 5)["points"] == 3
    cls.weak_and_lax_lift(organisation=org, end=today(), reason="销号", by=officer())
    assert org.pk not in reads.weak_in_year([org.pk], year)  # lifted within the year: the rating decides
    assert org.pk in reads.weak_in_year([org.pk], year - 1) or period.start.year == year


def test_the_demo_has_one_consolidation_under_way_with_an_overdue_milestone_and_one_lifted(demo):
    under_way = ConsolidationPlan.objects.get(period__organisation__code="JC-BH-LS-02")
    assert under_way.state == ConsolidationState.UNDER_WAY and under_way.team.exists()
    assert under_way.period.criteria.count() == 3
    assert under_way.milestones.filter(state=MilestoneState.OPEN, due__lt=today()).count() == 1
    lifted = ConsolidationPlan.objects.get(period__organisation__code="JC-BH-CG-04")
    assert lifted.state == ConsolidationState.LIFTED and lifted.checks.filter(passed=True).exists()
    assert lifted.period.end is not None and not lifted.period.organisation.weak_and_lax
    from flows.services.consolidation_demo import demo_consolidation

    assert demo_consolidation() == 0  # a second load adds nothing


def accepted(period, *, on):
    """Consolidate `period` through a passed acceptance check on `on` (for tests that lift a designation)."""
    org = period.organisation
    plan = svc.plan_save(period=period, measures="整顿", leader=officer(), by=officer())
    svc.milestone_add(plan=plan, title="整顿到位", due=on, by=officer())
    svc.plan_start(plan=plan, by=officer())
    svc.progress_report(milestone=plan.milestones.get(), text="完成", completes=True, by=secretary(org))
    svc.acceptance_record(plan=plan, passed=True, on=on, reasons="", by=officer())
    return plan
