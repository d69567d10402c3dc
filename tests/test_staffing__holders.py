"""Everyone who must act can act: a branch with only a secretary, a vacant post with an acting head, a hand-over with
work in flight, 转办 by the holder and reassignment by the oversight office — and `check_stalls` sees what is stuck."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flows import AssessmentFlow
from flows.models import AuditEntry, Notification, Organisation, Role, RoleAssignment, Stage, User
from flows.models.people import today
from flows.policy import access
from flows.selectors.holders import stalled_tasks
from flows.services import assessments as svc
from flows.services import people as people_svc
from flows.services.reassignment import task_pass_on
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db

YESTERDAY = lambda: today() - datetime.timedelta(days=1)  # noqa: E731


def open_task(a, node):
    return Task.objects.get(process=a.process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def end_role(code, role, on=None):
    ra = RoleAssignment.objects.current().get(organisation__code=code, role=role)
    people_svc.role_end(by=None, assignment=ra, end=on or YESTERDAY())
    return ra.user


def test_a_branch_with_only_a_secretary_drafts_submits_and_signs_off_in_one_step(demo):
    end_role(h.VILLAGE, Role.DEPUTY, on=today() - datetime.timedelta(days=2))
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    assert open_task(a, AssessmentFlow.draft_self).owner == secretary
    assert access.is_in_direct_charge(secretary, a.organisation)
    h.do_self_assessment(a)
    a.refresh_from_db()
    assert a.state == Stage.MASS_EVALUATION  # no second task asking the secretary to approve their own draft
    approve = AuditEntry.objects.get(subject_id=str(a.pk), action="assessment.approve_self")
    assert approve.actor_id == secretary.pk and approve.comment
    assert not [s for s in stalled_tasks() if s["task"].process_id == a.process_id]
    # the demo's own year of this village: its draft stayed with the leader in charge who left (no hand-over)
    assert [s["why"] for s in stalled_tasks() if s["organisation"] == a.organisation] == ["holder_cannot_act"]


def test_a_vacant_post_stalls_until_an_acting_head_is_named(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    gone = end_role(h.VILLAGE, Role.SECRETARY)
    [stalled] = [s for s in stalled_tasks() if s["task"].process_id == a.process_id]
    assert stalled["task"].owner == gone and stalled["why"] == "holder_cannot_act"
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("check_stalls", stdout=out)
    assert exit_code.value.code == 1 and "东坪村" in out.getvalue()

    officer = h.county_officer()
    acting = h.holder(h.VILLAGE, Role.DEPUTY)
    with pytest.raises(PermissionDenied):
        people_svc.acting_head_appoint(
            by=acting, organisation=a.organisation, user=acting, role=Role.SECRETARY, start=today(), reason="调走"
        )
    ra = people_svc.acting_head_appoint(
        by=officer, organisation=a.organisation, user=acting, role=Role.SECRETARY, start=today(), reason="原书记调离"
    )
    assert ra.acting and "代理" in ra.role_label()
    assert access.is_secretary(acting, a.organisation)
    assert open_task(a, AssessmentFlow.approve_self).owner == acting  # the post's work went to the acting head
    assert AuditEntry.objects.filter(action="task.handover", subject_id=str(a.pk), to_value=str(acting.pk)).exists()
    h.approve_self(a)
    a.refresh_from_db()
    assert a.state == Stage.MASS_EVALUATION
    assert not [s for s in stalled_tasks() if s["task"].process_id == a.process_id]


def test_a_hand_over_moves_the_open_work_to_the_successor(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    assert open_task(a, AssessmentFlow.draft_self).owner == deputy
    successor = User.objects.create(username="jierenren", real_name="接任人")
    ra = RoleAssignment.objects.current().get(organisation__code=h.VILLAGE, role=Role.DEPUTY)
    people_svc.role_handover(by=h.county_officer(), assignment=ra, successor=successor, on=today(), reason="工作调整")
    task = open_task(a, AssessmentFlow.draft_self)
    assert task.owner == successor
    assert Notification.objects.filter(user=successor, link__contains=str(task.pk)).exists()
    assert AuditEntry.objects.filter(action="task.handover", subject_id=str(a.pk), to_value=str(successor.pk)).exists()
    h.do_self_assessment(a)  # the successor drafts and submits
    a.refresh_from_db()
    assert a.state == Stage.SELF_APPROVAL


def test_pass_on_refuses_wrong_users_ineligible_targets_and_finished_tasks(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    task = open_task(a, AssessmentFlow.draft_self)
    outsider = h.holder("JC-BH-LS-01", Role.SECRETARY)
    with pytest.raises(PermissionDenied):  # neither the holder nor an officer over the organisation
        task_pass_on(by=outsider, task=task, to=secretary, reason="代办")
    with pytest.raises(ValidationError):  # the secretary may not draft while a leader in charge is in post
        task_pass_on(by=deputy, task=task, to=secretary, reason="出差")
    with pytest.raises(ValidationError):  # a reason is required
        task_pass_on(by=h.county_officer(), task=task, to=deputy, reason=" ")
    h.do_self_assessment(a)
    with pytest.raises(AlreadyHandled):
        task_pass_on(by=deputy, task=task, to=secretary, reason="出差")
    assert Task.objects.get(pk=task.pk).owner == deputy


def test_the_holder_delegates_to_a_colleague_who_may_take_the_step_and_the_history_says_so(client, demo):
    """转办 by the holder: an officer who claimed the close of a mass evaluation hands it to a colleague."""
    from flows.models import OfficeMembership, OversightOffice
    from flows.services.tasks import tasks_claim

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    task = open_task(a, AssessmentFlow.close_mass)
    officer = h.county_officer()
    assert tasks_claim(by=officer, task_ids=[task.pk]) == 1
    colleague = User.objects.create(username="tongshi2", real_name="同事乙")
    OfficeMembership.objects.create(
        user=colleague, office=OversightOffice.objects.get(code="QS-ZZB"), role="officer", start=YESTERDAY()
    )
    task_pass_on(by=officer, task=Task.objects.get(pk=task.pk), to=colleague, reason="休假")
    assert Task.objects.get(pk=task.pk).owner == colleague
    row = AuditEntry.objects.get(action="task.delegate", subject_id=str(a.pk))
    assert "休假" in row.comment and "同事乙" in row.comment
    client.force_login(officer)
    page = client.get(f"/assessments/{a.pk}/").content.decode()
    assert "转办" in page and "task.delegate" not in page


def test_the_office_reassigns_a_task_from_its_screen_and_outsiders_get_404(client, demo):
    from django.urls import reverse

    from flows.models import OfficeMembership, OversightOffice
    from flows.selectors import task_url

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    task = open_task(a, AssessmentFlow.close_mass)
    assert task.owner is None  # the office's pool
    officer = h.county_officer()
    colleague = User.objects.create(username="tongshi", real_name="同事")
    OfficeMembership.objects.create(
        user=colleague, office=OversightOffice.objects.get(code="QS-ZZB"), role="officer", start=YESTERDAY()
    )
    client.force_login(officer)
    page = client.get(task_url(task)).content.decode()
    choices = reverse("task_pass_on_choices", args=[task.pk])
    assert "转办" in page and choices in page  # whom to is read when the form is opened
    form = client.get(choices, {"next": task_url(task)}).content.decode()
    assert "同事" in form and f'name="next" value="{task_url(task)}"' in form
    assert "同事" in client.get(choices, HTTP_X_REQUESTED_WITH="fetch").content.decode()  # the fragment app.js fetches
    url = reverse("task_pass_on", args=[task.pk])
    member = User.objects.get(username="dangyuan")
    client.post(url, {"to": member.pk, "reason": "试试"})  # a party member may not close an evaluation
    assert Task.objects.get(pk=task.pk).owner is None
    response = client.post(url, {"to": colleague.pk, "reason": "由同事负责该镇", "next": task_url(task)})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).owner == colleague
    assert Notification.objects.filter(user=colleague, title__contains="由同事负责该镇").exists()
    client.force_login(h.holder("JC-BH-LS-01", Role.SECRETARY))
    assert client.post(url, {"to": officer.pk, "reason": "x"}).status_code == 404
    assert Task.objects.get(pk=task.pk).owner == colleague


def test_accountability_and_the_report_name_the_people_of_that_year(demo):
    from decimal import Decimal

    from flows.models import MeasureKind, Outcome
    from flows.reports.annual import _secretary

    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    h.review(a, fraction=Decimal("0.5"), veto=True, outcome=Outcome.ACCOUNTABILITY)
    ra = RoleAssignment.objects.current().get(organisation__code=h.VILLAGE, role=Role.SECRETARY)
    former = ra.user
    successor = User.objects.create(username="xinshuji", real_name="新书记")
    people_svc.role_handover(by=h.county_officer(), assignment=ra, successor=successor, on=today(), reason="换届")
    assert not access.is_secretary(former, a.organisation)
    # the secretary who led the year can still be held to account for it
    svc.accountability_propose(
        assessment=a, by=h.county_officer(), kind=MeasureKind.EDUCATION, persons=[former], reason="履职不力"
    )
    outsider = h.holder("JC-BH-LS-01", Role.SECRETARY)
    with pytest.raises(ValidationError):
        svc.measure_propose(
            assessment=a, by=h.county_officer(), kind=MeasureKind.EDUCATION, persons=[outsider], reason="x"
        )
    # the written report of the previous year prints that year's secretary, this year's the one who ended it
    assert _secretary(a.organisation, cycle.year) == str(successor)
    assert _secretary(a.organisation, cycle.year - 1) == str(former)


def test_the_office_records_an_acting_head_and_a_hand_over_on_the_organisation_page(client, demo):
    from django.urls import reverse

    org = Organisation.objects.get(code=h.VILLAGE)
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    member = (
        RoleAssignment.objects.current().filter(organisation=org, role=Role.MEMBER).first()
        or RoleAssignment.objects.current().filter(organisation=org, role=Role.PARTY_MEMBER).first()
    )
    end_role(h.VILLAGE, Role.SECRETARY)
    client.force_login(h.county_officer())
    page = client.get(reverse("organisation_detail", args=[org.code])).content.decode()
    assert "代理" in page
    # a refused form comes back with what was typed and the reason
    refused = client.post(
        reverse("acting_head", args=[org.code]),
        {"role": "secretary", "user": member.user.pk, "start": "2026-13-01", "reason": "原书记调离"},
    )
    assert refused.status_code == 400 and "原书记调离" in refused.content.decode()
    client.post(
        reverse("acting_head", args=[org.code]),
        {"role": "secretary", "user": member.user.pk, "start": today().isoformat(), "reason": "原书记调离"},
    )
    assert access.is_secretary(member.user, org)
    ra = RoleAssignment.objects.current().get(organisation=org, role=Role.DEPUTY)
    successor = User.objects.create(username="xinfenguan", real_name="新分管")
    RoleAssignment.objects.create(user=successor, organisation=org, role=Role.PARTY_MEMBER, start=YESTERDAY())
    client.post(
        reverse("handover", args=[org.code]),
        {"assignment": ra.pk, "successor": successor.pk, "on": today().isoformat(), "reason": "工作调整"},
    )
    assert open_task(a, AssessmentFlow.draft_self).owner == successor
    assert not access.is_in_direct_charge(deputy, org)
    # the roles table says 代理
    page = client.get(reverse("organisation_detail", args=[org.code])).content.decode()
    assert "代理书记" in page


def test_staffing_dates_and_reasons_are_bounded_and_a_refused_hand_over_keeps_its_choices(client, demo):
    """A hand-over or an acting head is recorded when it happens, within the past year: a typo in the year (2999,
    1900) is refused, not stored to block the post or to rewrite who held it. A reason over 200 characters is
    refused, not cut. A refused hand-over comes back with its post and successor still chosen, so that pressing
    the button again does not hand the post to whoever is first in the list."""
    from django.urls import reverse

    org = Organisation.objects.get(code=h.VILLAGE)
    deputy_role = RoleAssignment.objects.current().get(organisation=org, role=Role.DEPUTY)
    others = list(RoleAssignment.objects.current().filter(organisation=org).exclude(user=deputy_role.user))
    successor = others[-1].user
    client.force_login(h.county_officer())
    url = reverse("handover", args=[org.code])
    chosen = {"assignment": deputy_role.pk, "successor": successor.pk, "reason": "工作调整"}
    for on in ("2999-12-31", (today() + datetime.timedelta(days=1)).isoformat(), "1900-01-01"):
        refused = client.post(url, chosen | {"on": on})
        page = refused.content.decode()
        assert refused.status_code == 400, on
        assert "之间的日期" in page, on
        assert f'<option value="{deputy_role.pk}" selected>' in page
        assert f'<option value="{successor.pk}" selected>' in page
    refused = client.post(url, chosen | {"on": today().isoformat(), "reason": "调" * 300})
    assert refused.status_code == 400 and "300" in refused.content.decode()
    deputy_role.refresh_from_db()
    assert deputy_role.end is None and access.is_in_direct_charge(deputy_role.user, org)  # nothing was handed over
    end_role(h.VILLAGE, Role.SECRETARY)
    acting = client.post(
        reverse("acting_head", args=[org.code]),
        {"role": "secretary", "user": successor.pk, "start": "1900-01-01", "reason": "原书记调离"},
    )
    assert acting.status_code == 400 and "原书记调离" in acting.content.decode()
    assert not access.is_secretary(successor, org)


def test_the_office_sees_stuck_tasks_and_reassigns_one_in_a_click(client, demo):
    from django.urls import reverse

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    end_role(h.VILLAGE, Role.SECRETARY)  # the approval waits for someone who has left
    org = Organisation.objects.get(code=h.VILLAGE)
    acting = h.holder(h.VILLAGE, Role.DEPUTY)
    RoleAssignment.objects.create(
        user=acting, organisation=org, role=Role.SECRETARY, start=today(), acting=True, reason="代理"
    )
    client.force_login(h.county_officer())
    page = client.get(reverse("stalled_tasks")).content.decode()
    task = open_task(a, AssessmentFlow.approve_self)
    assert f'data-task="{task.pk}"' in page and acting.real_name in page
    client.post(
        reverse("task_pass_on", args=[task.pk]),
        {"to": acting.pk, "reason": "岗位空缺，改派", "next": reverse("stalled_tasks")},
    )
    assert Task.objects.get(pk=task.pk).owner == acting
    assert f'data-task="{task.pk}"' not in client.get(reverse("stalled_tasks")).content.decode()
    client.force_login(h.holder(h.VILLAGE, Role.DEPUTY))
    assert client.get(reverse("stalled_tasks")).status_code == 404  # not an officer


def test_whom_a_task_may_go_to_is_what_the_rule_says_person_by_person(demo, django_assert_max_num_queries):
    """The pass-on list reads the organisation's roles once for all its candidates (access.asking_many_people) and
    still lists exactly those the step table allows, asked one by one outside it."""
    from flows.selectors.holders import may_take, pass_on_candidates

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    tasks = [open_task(a, AssessmentFlow.draft_self)]
    h.do_self_assessment(a)
    tasks.append(open_task(a, AssessmentFlow.approve_self))
    h.approve_self(a)
    tasks.append(open_task(a, AssessmentFlow.close_mass))
    h.close_mass(a)
    tasks.append(open_task(a, AssessmentFlow.review))
    # the site's superuser is no official: the steps' rules let it oversee, the pass-on list never offers it
    everyone = list(User.objects.filter(is_active=True, is_superuser=False).order_by("real_name"))
    for task in tasks:
        allowed = [u.username for u in everyone if u.pk != task.owner_id and may_take(u, task)]
        with django_assert_max_num_queries(15):  # the same few queries however many are asked about
            listed = [u.username for u in pass_on_candidates(task)]
        assert sorted(listed) == sorted(allowed), task.flow_task.name
    assert any(len(pass_on_candidates(t)) > 1 for t in tasks)  # the test asks about several people somewhere
