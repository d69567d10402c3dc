"""Which states are under way, waiting and done is said once (flows/models/state_groups.py), for every state of
every state machine; an unknown state is an error wherever something is counted, never counted as done."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django_fsm import FSMFieldMixin

from flows.models import (
    Assessment,
    ItemState,
    Outcome,
    RectificationItem,
    Role,
    Stage,
)
from flows.models import state_groups as sg
from flows.models.state_groups import Phase, UnknownState, count_by_phase, phase_of, states_in

NEW_STATE = "suspended"  # no machine has it: stands for a state added to a model and forgotten here


def _state_machines():
    """Every FSM field of every installed model, as (model, field)."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, FSMFieldMixin)
    ]


def test_every_state_machine_has_a_table():
    found = _state_machines()
    assert {model._meta.label_lower for model, _f in found} == set(sg.MACHINES)
    assert len(found) == len(sg.MACHINES)  # one machine per model, its `state`
    for model, field in found:
        assert field.name == "state", model


@pytest.mark.parametrize("label", list(sg.MACHINES))
def test_every_state_is_in_exactly_one_phase(label):
    """A state added to a model's choices without a line in its table fails here."""
    model = apps.get_model(label)
    values = [value for value, _label in model._meta.get_field("state").flatchoices]
    assert sorted(sg.MACHINES[label].values) == sorted(values)  # the table is of this model's choices
    assert sorted(sg.PHASES[sg.MACHINES[label]]) == sorted(values), "a state without a phase, or a stale one"
    for value in values:
        assert [p for p in Phase if value in states_in(model, p)] == [phase_of(model, value)]
    assert sorted(states_in(model, *Phase)) == sorted(values)


def test_the_phase_is_read_from_a_model_an_instance_or_the_choices():
    assert phase_of(Stage, "closed") == phase_of(Assessment, Stage.CLOSED) == Phase.DONE
    assert phase_of(Assessment(state=Stage.RECTIFICATION), Stage.RECTIFICATION) == Phase.UNDER_WAY  # unsaved
    assert phase_of(RectificationItem, ItemState.REPORTED) == Phase.WAITING
    assert states_in(RectificationItem, Phase.WAITING) == (ItemState.REPORTED, ItemState.EXTENSION_REQUESTED)
    assert states_in(RectificationItem, Phase.DONE) == (ItemState.VERIFIED,)


@pytest.mark.parametrize("state", [NEW_STATE, "", None, "VERIFIED", ["verified"]])
def test_an_unknown_state_raises(state):
    with pytest.raises(UnknownState, match="state_groups.py"):
        phase_of(RectificationItem, state)
    with pytest.raises(UnknownState):
        count_by_phase(RectificationItem, [(ItemState.VERIFIED, 2), (state, 1)])


def test_an_unknown_machine_raises():
    from flows.models import Organisation, Rating

    for machine in (Rating, Organisation, "state"):
        with pytest.raises(UnknownState):
            phase_of(machine, "closed")


def test_a_filter_refuses_a_machine_whose_table_misses_a_state(monkeypatch):
    """What a filter would do if a model gained a state and its table did not: leave it out without a word."""
    table = {s: p for s, p in sg.PHASES[ItemState].items() if s != ItemState.REPORTED}
    monkeypatch.setitem(sg.PHASES, ItemState, table)
    with pytest.raises(UnknownState, match="reported"):
        states_in(RectificationItem, Phase.DONE)


def test_counts_fold_into_every_phase():
    rows = [(ItemState.OPEN, 3), ("reported", 2), (ItemState.VERIFIED, 5)]
    assert count_by_phase(RectificationItem, rows) == {Phase.UNDER_WAY: 3, Phase.WAITING: 2, Phase.DONE: 5}
    assert count_by_phase(RectificationItem, []) == dict.fromkeys(Phase, 0)


def test_the_stages_before_and_after_the_outcome_are_every_stage_once():
    before, after = list(sg.STAGES_BEFORE_OUTCOME), set(sg.OUTCOME_STAGES)
    assert before == [s for s in Stage if s not in after]  # in the order of the stages
    assert not set(before) & after and set(before) | after == set(Stage)
    assert set(sg.PLANS_DRAWN) <= set(sg.PHASES[sg.PlanState])


# ---- the consumers count by phase --------------------------------------------------------------------------

WEAK = "JC-QS-HT-02"


@pytest.fixture
def rectifying(demo):
    """Qingshan county's village cycle: one village rectifying two items, one reported and one overdue."""
    from flows.services import assessments as svc
    from tests import cycle_helpers as h

    cycle = h.open_cycle()
    weak = h.through_to_review(cycle, WEAK)
    deputy, secretary = h.holder(WEAK, Role.DEPUTY), h.holder(WEAK, Role.SECRETARY)
    h.review(
        weak,
        fraction=Decimal("0.6"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": "三会一课记录不全", "requirement": "", "owner": deputy, "due": h.next_week()},
            {"problem": "党员活动室未挂牌", "requirement": "", "owner": secretary, "due": h.next_week()},
        ],
    )
    reported, late = RectificationItem.objects.filter(assessment__cycle=cycle).order_by("pk")
    svc.rectification_report(item=reported, by=deputy, report="已补齐")
    RectificationItem.objects.filter(pk=late.pk).update(due=datetime.date.today() - datetime.timedelta(days=3))
    return cycle, reported


def _dashboard(cycle):
    from flows.selectors import dashboards
    from tests import cycle_helpers as h

    return dashboards.cycle_dashboard(cycle, h.county_officer(), dashboards.Filters())


def _subtree_report(cycle):
    from flows.models import Organisation
    from flows.reports.annual import annual_report

    return annual_report(cycle=cycle, organisation=Organisation.objects.get(code="JC-QS"), subtree=True)["subtree"]


@pytest.mark.django_db
def test_the_dashboard_and_the_report_count_items_by_phase(rectifying, monkeypatch):
    cycle, reported = rectifying
    figures = {"open": 1, "reported": 1, "verified": 0, "overdue": 1}
    assert _dashboard(cycle)["rectification"] == figures
    assert _subtree_report(cycle)["rectification"] == {"total": 2} | figures

    # the figures follow the table: were "reported" done, the dashboard would say verified (and not overdue)
    monkeypatch.setitem(sg.PHASES[ItemState], ItemState.REPORTED, Phase.DONE)
    assert _dashboard(cycle)["rectification"] == {"open": 1, "reported": 0, "verified": 1, "overdue": 1}


@pytest.mark.django_db
def test_an_extension_request_waits_and_is_never_done(rectifying):
    """The owner asked for more time and the reviewer decides: waiting (counted with the reported), still late."""
    from flows.models import Organisation
    from flows.reports.annual import annual_report

    cycle, reported = rectifying
    RectificationItem.objects.filter(pk=reported.pk).update(
        state=ItemState.EXTENSION_REQUESTED, due=datetime.date(2020, 1, 1)
    )
    figures = {"open": 1, "reported": 1, "verified": 0, "overdue": 2}
    assert _dashboard(cycle)["rectification"] == figures
    assert _subtree_report(cycle)["rectification"] == {"total": 2} | figures
    single = annual_report(cycle=cycle, organisation=Organisation.objects.get(code=WEAK))["single"]["rectification"]
    assert (single["total"], single["verified"], single["open"], single["overdue"]) == (2, 0, 2, 2)


@pytest.mark.django_db
def test_a_state_in_no_phase_stops_the_count_and_one_line_places_it(rectifying, monkeypatch):
    from flows.models import Organisation
    from flows.reports.annual import annual_report

    cycle, reported = rectifying
    RectificationItem.objects.filter(pk=reported.pk).update(state=NEW_STATE, due=datetime.date(2020, 1, 1))
    with pytest.raises(UnknownState, match=NEW_STATE):
        _dashboard(cycle)
    with pytest.raises(UnknownState, match=NEW_STATE):
        _subtree_report(cycle)
    with pytest.raises(UnknownState, match=NEW_STATE):
        annual_report(cycle=cycle, organisation=Organisation.objects.get(code=WEAK))

    # one line in the table places it; here done, so it is counted as verified and is no longer late
    monkeypatch.setitem(sg.PHASES[ItemState], NEW_STATE, Phase.DONE)
    assert _dashboard(cycle)["rectification"] == {"open": 1, "reported": 0, "verified": 1, "overdue": 1}


@pytest.mark.django_db
def test_the_dashboard_counts_closed_years_by_phase(rectifying, monkeypatch):
    cycle, _reported = rectifying
    [village] = _dashboard(cycle)["sectors"]
    assert (village["total"], village["closed"]) == (8, 0)
    monkeypatch.setitem(sg.PHASES[Stage], Stage.RECTIFICATION, Phase.DONE)
    [village] = _dashboard(cycle)["sectors"]
    assert village["closed"] == 1
    # a state written past the step service: the kept counts do not see it, their drift check does, and once they
    # are recounted the dashboard refuses the state it has no phase for
    from flows.services import counts

    Assessment.objects.filter(cycle=cycle, organisation__code=WEAK).update(state="archived")
    assert any(key[1] == "archived" for key in counts.cycle_counts_drift(cycle))
    counts.cycle_counts_rebuild(cycle)
    with pytest.raises(UnknownState, match="archived"):
        _dashboard(cycle)


@pytest.mark.django_db
def test_a_spot_checks_results_never_count_an_unknown_item_as_verified(demo):
    """plan_results used to count any state it did not know as verified."""
    from flows.selectors import plan_results
    from flows.services import inspections as insp_svc
    from tests import cycle_helpers as ch
    from tests import spotcheck_helpers as sh

    cycle = ch.open_cycle()
    officer = ch.county_officer()
    plan = sh.drawn_plan(by=officer.username, office="QS-ZZB", cycle=cycle, scope_root=None, rate_percent=100)
    insp = plan.inspections.get(organisation__code=ch.VILLAGE)
    sh.record(insp)
    sh.sign_all(insp)
    owner = ch.holder(ch.VILLAGE, Role.SECRETARY)
    due = datetime.date.today() + datetime.timedelta(days=30)
    decisions = {f.pk: {"confirm": True, "owner": owner, "due": due, "note": ""} for f in insp.findings.all()}
    insp_svc.inspection_decide(inspection=insp, by=officer, decisions=decisions)

    results = plan_results(plan)
    assert results["checked"] == 1 and results["total"] == plan.inspections.count()
    assert results["rectification"] == {"open": 1, "reported": 0, "verified": 0, "overdue": 0}
    RectificationItem.objects.filter(finding__inspection=insp).update(state=NEW_STATE)
    with pytest.raises(UnknownState, match=NEW_STATE):
        plan_results(plan)
