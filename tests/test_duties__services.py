"""Duty lists through their services: the office publishes the cycle's template (its own office only, once), every
organisation gets its list derived from it with the indicators it covers, the secretary edits and confirms it (the
step service writes the audit row; a second confirmation is "already handled"), the office returns it with a
reason, and a branch whose secretary's post is vacant, or that has only a secretary, still confirms."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task

from flows.models import AuditEntry, Organisation, Role, RoleAssignment, User
from flows.models.duties import DutyList, DutyRole, LineKind
from flows.models.states import DutyListState
from flows.selectors import duties as selectors
from flows.services import duties as svc
from flows.services import people as people_svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h
from tests import duty_helpers as dh

pytestmark = pytest.mark.django_db


def open_tasks(dl):
    return Task.objects.filter(process_id=dl.process_id, status__in=["NEW", "ASSIGNED", "STARTED"])


def test_the_demo_pilot_has_confirmed_returned_and_waiting_lists(demo):
    states = {dl.organisation.code: dl for dl in DutyList.objects.filter(cycle=dh.city_cycle())}
    assert states["JC-QS-HT-01"].state == DutyListState.CONFIRMED
    assert states["JC-QS-HT-02"].state == DutyListState.DRAFT and states["JC-QS-HT-02"].returned_reason
    assert states["JC-QS-HT-03"].state == DutyListState.DRAFT and not states["JC-QS-HT-03"].returned_at
    assert open_tasks(states["JC-QS-HT-02"]).count() == 1  # returned: asked again
    assert open_tasks(states["JC-QS-HT-01"]).count() == 0


def test_derived_lines_carry_the_holders_and_the_indicators_by_code(demo):
    dl = dh.duty_list("JC-QS-HT-03")
    secretary = h.holder("JC-QS-HT-03", Role.SECRETARY)
    first = dl.lines.filter(role=DutyRole.SECRETARY).order_by("order").first()
    assert first.holder == secretary
    assert [i.code for i in first.indicators.all()] == ["D1.1"]
    task = open_tasks(dl).get()
    assert task.owner == secretary  # the task is in the secretary's inbox


def test_only_the_cycles_office_publishes_and_only_once(demo):
    cycle = dh.city_cycle()
    with pytest.raises(PermissionDenied):
        dh.atomic(svc.duty_template_publish, by=h.county_officer(), cycle=cycle, name="x", lines=[])
    with pytest.raises(AlreadyHandled):
        dh.atomic(svc.duty_template_publish, by=dh.officer(), cycle=cycle, name="x", lines=svc.DEFAULT_TEMPLATE_LINES)


def test_publishing_checks_every_line_and_derives_for_the_rest(demo):
    cycle = h.open_cycle(sectors=("village",), year=2027)
    officer = h.county_officer()
    bad = [{"role": "member", "area": "", "text": "抓党风廉政", "indicator_codes": []}]
    with pytest.raises(ValidationError, match="分工领域"):
        dh.atomic(svc.duty_template_publish, by=officer, cycle=cycle, name="清单", lines=bad)
    unknown = [{"role": "secretary", "area": "", "text": "抓党建", "indicator_codes": ["Z9.9"]}]
    with pytest.raises(ValidationError, match="Z9.9"):
        dh.atomic(svc.duty_template_publish, by=officer, cycle=cycle, name="清单", lines=unknown)
    assert not DutyList.objects.filter(cycle=cycle).exists()
    dh.atomic(svc.duty_template_publish, by=officer, cycle=cycle, name="清单", lines=svc.DEFAULT_TEMPLATE_LINES)
    assert DutyList.objects.filter(cycle=cycle).count() == cycle.assessments.count() > 0
    assert AuditEntry.objects.filter(action="dutytemplate.publish").exists()


def test_the_secretary_edits_and_confirms_with_an_audit_row_and_a_double_click_is_already_handled(demo):
    dl = dh.duty_list("JC-QS-HT-03")
    secretary = h.holder("JC-QS-HT-03", Role.SECRETARY)
    with pytest.raises(ValidationError, match="书记项目"):
        dh.atomic(svc.duty_list_confirm, duty_list=dl, by=secretary)
    dh.atomic(svc.duty_list_save, duty_list=dl, by=secretary, lines=dh.with_project(dl, secretary))
    dh.atomic(svc.duty_list_confirm, duty_list=dl, by=secretary)
    dl.refresh_from_db()
    assert dl.state == DutyListState.CONFIRMED and dl.confirmed_by == secretary
    row = AuditEntry.objects.filter(action="dutylist.confirm", subject_id=str(dl.pk)).get()
    assert (row.actor, row.from_value, row.to_value) == (secretary, "draft", "confirmed")
    assert open_tasks(dl).count() == 0
    with pytest.raises(AlreadyHandled):
        dh.atomic(svc.duty_list_confirm, duty_list=dl, by=secretary)
    with pytest.raises(AlreadyHandled):  # confirmed: no more edits
        dh.atomic(svc.duty_list_save, duty_list=dl, by=secretary, lines=dh.lines_as_saved(dl))


def test_others_may_not_edit_or_confirm(demo):
    dl = dh.duty_list("JC-QS-HT-03")
    deputy = h.holder("JC-QS-HT-03", Role.DEPUTY)
    outsider = h.holder("JC-QS-HT-04", Role.SECRETARY)
    for user in (deputy, outsider, dh.officer()):
        with pytest.raises(PermissionDenied):
            dh.atomic(svc.duty_list_confirm, duty_list=dl, by=user)
    for user in (deputy, outsider):
        with pytest.raises(PermissionDenied):
            dh.atomic(svc.duty_list_save, duty_list=dl, by=user, lines=dh.lines_as_saved(dl))


def test_a_line_is_checked_holder_project_and_indicator(demo):
    dl = dh.duty_list("JC-QS-HT-03")
    secretary = h.holder("JC-QS-HT-03", Role.SECRETARY)
    stranger = h.holder("JC-QS-HT-04", Role.SECRETARY)
    bad = dh.lines_as_saved(dl)
    bad[0] = bad[0] | {"holder": stranger}
    with pytest.raises(ValidationError, match="不是本组织班子成员"):
        dh.atomic(svc.duty_list_save, duty_list=dl, by=secretary, lines=bad)
    bad = dh.lines_as_saved(dl)
    bad[0] = bad[0] | {"secretary_project": True}
    with pytest.raises(ValidationError, match="只有年度任务"):
        dh.atomic(svc.duty_list_save, duty_list=dl, by=secretary, lines=bad)
    bad = dh.lines_as_saved(dl)
    bad[0] = bad[0] | {"indicator_ids": [10**9]}
    with pytest.raises(ValidationError, match="指标"):
        dh.atomic(svc.duty_list_save, duty_list=dl, by=secretary, lines=bad)
    assert dl.lines.count() == len(dh.lines_as_saved(dl))  # nothing changed


def test_the_office_returns_with_a_reason_and_the_task_comes_back(demo):
    dl = dh.duty_list("JC-QS-HT-01")
    with pytest.raises(ValidationError):
        dh.atomic(svc.duty_list_return, duty_list=dl, by=dh.officer(), reason=" ")
    with pytest.raises(PermissionDenied):
        dh.atomic(svc.duty_list_return, duty_list=dl, by=h.holder("JC-QS-HT-01", Role.SECRETARY), reason="补充")
    dh.atomic(svc.duty_list_return, duty_list=dl, by=dh.officer(), reason="请补充年度任务的完成时限")
    dl.refresh_from_db()
    assert dl.state == DutyListState.DRAFT and dl.returned_reason == "请补充年度任务的完成时限"
    assert open_tasks(dl).get().owner == h.holder("JC-QS-HT-01", Role.SECRETARY)
    row = AuditEntry.objects.get(action="dutylist.return_list", subject_id=str(dl.pk))
    assert row.comment == "请补充年度任务的完成时限"
    with pytest.raises(AlreadyHandled):
        dh.atomic(svc.duty_list_return, duty_list=dl, by=dh.officer(), reason="再次退回")


def test_a_vacant_secretary_post_the_person_in_direct_charge_confirms(demo):
    dl = dh.duty_list("JC-QS-HT-05")
    org = dl.organisation
    RoleAssignment.objects.filter(organisation=org, role=Role.SECRETARY).update(end=datetime.date(2026, 1, 1))
    deputy = h.holder(org.code, Role.DEPUTY)
    dh.atomic(svc.duty_list_save, duty_list=dl, by=deputy, lines=dh.with_project(dl, deputy))
    dh.atomic(svc.duty_list_confirm, duty_list=dl, by=deputy)
    dl.refresh_from_db()
    assert dl.state == DutyListState.CONFIRMED and dl.confirmed_by == deputy


def test_an_acting_secretary_confirms_for_a_branch_with_only_a_secretary(demo):
    """A branch of fewer than seven members has only a secretary; the post falls vacant and an acting secretary is
    named: they confirm. Before that, the secretary alone confirmed (holding both duties)."""
    cycle = h.open_cycle(sectors=("village",), year=2027)
    org = Organisation.objects.get(code="JC-QS-HT-03")
    RoleAssignment.objects.filter(organisation=org, role=Role.DEPUTY).update(end=datetime.date(2026, 1, 1))
    dh.atomic(
        svc.duty_template_publish,
        by=h.county_officer(),
        cycle=cycle,
        name="清单",
        lines=svc.DEFAULT_TEMPLATE_LINES,
        organisations=[org],
    )
    dl = DutyList.objects.get(cycle=cycle, organisation=org)
    secretary = h.holder(org.code, Role.SECRETARY)
    assert dl.lines.filter(role=DutyRole.DIRECT_CHARGE).first().holder == secretary  # holds both duties
    RoleAssignment.objects.filter(organisation=org, role=Role.SECRETARY).update(end=datetime.date(2026, 1, 1))
    acting = User.objects.create(username="acting_nanao", real_name="代理书记")
    people_svc.role_assign(by=None, user=acting, organisation=org, role=Role.SECRETARY, start=datetime.date(2026, 1, 2))
    with pytest.raises(PermissionDenied):
        dh.atomic(svc.duty_list_confirm, duty_list=dl, by=secretary)
    dh.atomic(svc.duty_list_save, duty_list=dl, by=acting, lines=dh.with_project(dl, acting))
    dh.atomic(svc.duty_list_confirm, duty_list=dl, by=acting)
    dl.refresh_from_db()
    assert dl.state == DutyListState.CONFIRMED


def test_the_review_shows_each_indicator_beside_the_duties_covering_it(demo):
    dl = dh.duty_list("JC-QS-HT-01")
    a = dl.cycle.assessments.get(organisation=dl.organisation)
    beside = selectors.duties_beside_indicators(a)
    by_code = {r["indicator"].code: [line.text for line in r["lines"]] for r in beside["rows"]}
    assert any("书记项目" in t or "集体经济" in t for t in by_code["D4.1"])
    assert "D1.1" in by_code
    assert beside["uncovered"]  # indicators no line names are listed apart
    assert LineKind.TASK in {line.kind for r in beside["rows"] for line in r["lines"]}
