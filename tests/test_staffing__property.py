"""Property: however an organisation is staffed (only a secretary; a secretary and a leader in charge; a vacant post
with an acting head) and whenever a hand-over happens during the year, every village of a township goes from the
launch to a closed year: never stuck, never a refusal for the person a task waits for, `check_stalls` clean at every
point. Random staffing and hand-over moments from hypothesis; the steps through the services (the shell's door)."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from viewflow.workflow.models import Task

from flows.models import Organisation, Outcome, OversightOffice, Role, RoleAssignment, Stage, User
from flows.models.people import today
from flows.selectors.holders import OPEN_STATUSES, pass_on_candidates, stalled_tasks
from flows.services import assessments as svc
from flows.services import cycles as cycle_svc
from flows.services import organisations as org_svc
from flows.services import people as people_svc
from flows.services.indicators import templates_load_defaults
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db

STAFFING = st.sampled_from(["secretary_only", "secretary_and_deputy", "vacant_with_acting_deputy"])
STEPS = ("draft_self", "approve_self", "close_mass", "review")
VILLAGE = st.tuples(STAFFING, st.sampled_from([None, *STEPS]), st.sampled_from([Role.SECRETARY, Role.DEPUTY]))

_n = iter(range(10**6))
_years = iter(range(2030, 2200))  # one cycle per office and year: each example takes a year of its own


def person(name):
    n = next(_n)
    return User.objects.create(username=f"p{n}", real_name=f"{name}{n}")


def township_with(villages):
    county = Organisation.objects.get(code="JC-QS")
    n = next(_n)
    town = org_svc.organisation_create(
        by=None, leading=county, code=f"T{n}", name=f"试验镇{n}党委", kind="committee", level="township"
    )
    RoleAssignment.objects.create(user=person("镇书记"), organisation=town, role=Role.SECRETARY, start=date(-400))
    orgs = []
    for i, (staffing, _when, _who) in enumerate(villages):
        org = org_svc.organisation_create(
            by=None,
            leading=town,
            code=f"T{n}-{i}",
            name=f"试验村{n}-{i}党支部",
            kind="branch",
            sector="village",
            level="grassroots",
        )
        secretary = person("书记")
        if staffing == "vacant_with_acting_deputy":
            RoleAssignment.objects.create(
                user=secretary, organisation=org, role=Role.SECRETARY, start=date(-400), end=date(-30)
            )
            deputy = person("副书记")
            RoleAssignment.objects.create(user=deputy, organisation=org, role=Role.DEPUTY, start=date(-400))
            RoleAssignment.objects.create(
                user=deputy, organisation=org, role=Role.SECRETARY, start=date(-20), acting=True, reason="原书记调离"
            )
        else:
            RoleAssignment.objects.create(user=secretary, organisation=org, role=Role.SECRETARY, start=date(-400))
            if staffing == "secretary_and_deputy":
                RoleAssignment.objects.create(
                    user=person("副书记"), organisation=org, role=Role.DEPUTY, start=date(-400)
                )
        orgs.append(org)
    return town, orgs


def date(days):
    return today() + datetime.timedelta(days=days)


def hand_over(org, role):
    ra = RoleAssignment.objects.current().filter(organisation=org, role=role).first()
    if ra is None or ra.start >= today():
        return
    people_svc.role_handover(by=h.county_officer(), assignment=ra, successor=person("接任"), on=today(), reason="交接")


def take(task, a):
    """Take the step the task waits for, as the person it waits for (or, unassigned, one who may take it)."""
    who = task.owner or pass_on_candidates(task)[0]
    name = task.flow_task.name
    if name == "draft_self":
        scores = h.full_self_scores(a, Decimal("0.95"))
        for ind in a.template.indicators.filter(evidence_required=True, veto=False):
            svc.evidence_add(assessment=a, by=who, upload=h.pdf(), content_type="application/pdf", indicator=ind)
        svc.self_assessment_save(assessment=a, by=who, scores=scores, report="年度工作报告")
        svc.self_assessment_submit(assessment=a, by=who)
    elif name == "approve_self":
        svc.self_assessment_decide(assessment=a, by=who, approve=True)
    elif name == "close_mass":
        svc.mass_evaluation_close(assessment=a, by=who, mass_score="90")
    elif name == "review":
        svc.review_save(assessment=a, by=who, scores=h.full_self_scores(a, Decimal("0.95")), comment="好")
        svc.review_submit(assessment=a, by=who, outcome=Outcome.NONE)
    else:
        raise AssertionError(f"unexpected step {name}")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(villages=st.lists(VILLAGE, min_size=1, max_size=3))
def test_every_year_closes_whatever_the_staffing(demo, villages):
    templates_load_defaults()
    town, orgs = township_with(villages)
    office = OversightOffice.objects.get(code="QS-ZZB")
    year = next(_years)
    cycle = cycle_svc.cycle_create(
        by=h.county_officer(),
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=year,
        name=f"{town.name}考核",
        scope_root=town,
        **cycle_svc.due_dates_for_year(year),
    )
    cycle_svc.cycle_open(by=h.county_officer(), cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    processes = set(cycle.assessments.values_list("process_id", flat=True))
    for org, (_staffing, when, who) in zip(orgs, villages, strict=True):
        a = cycle.assessments.get(organisation=org)
        for _ in range(6):
            a.refresh_from_db()
            if a.state == Stage.CLOSED:
                break
            [task] = Task.objects.filter(process=a.process, status__in=OPEN_STATUSES, flow_task_type="HUMAN")
            if task.flow_task.name == when:
                hand_over(org, who)
                task.refresh_from_db()
            assert not [s for s in stalled_tasks() if s["task"].process_id in processes]
            take(task, a)
        a.refresh_from_db()
        assert a.state == Stage.CLOSED, (org.name, a.state)
