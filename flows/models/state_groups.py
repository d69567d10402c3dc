"""Which states are under way, waiting and done: one table per state machine, read by every count.

Dashboards, the annual written report, the Excel ledgers and importers and the selectors all ask the same
questions of a state: is this year finished, is this rectification item still to be done, has it been handed in.
Written out by hand in each of them, the answers drifted apart, and one of them counted any state it did not know
as verified. They read them here instead.

Every state of every state machine (the protected FSMField `state` of the models in `MACHINES`) sits in exactly
one phase:

- UNDER_WAY: the work is with those who do it (filling in, rectifying, inspecting, preparing a plan, voting);
- WAITING: the work was handed in and waits for someone else to approve, sign, verify or decide;
- DONE: finished, nobody acts on it any more (closed, verified, cancelled, dismissed).

A state added to a model is added to its table here, in one line, in the same change. Until it is,
tests/test_models__state_groups.py fails, and `phase_of` raises `UnknownState` for it: a state this module does
not know is an error, never counted as done (nor as anything else).

This is the bottom layer: it imports the machines' choices (`states.py`) and nothing else of the project, so the
models themselves may ask it.
"""

import enum

from flows.models.states import (
    STAGE_OF_OUTCOME,
    CampaignState,
    ConsolidationState,
    CycleState,
    DutyListState,
    InspectionState,
    ItemState,
    MeetingState,
    MilestoneState,
    ObjectionState,
    PlanState,
    RecheckState,
    SettlementState,
    Stage,
)


class Phase(enum.StrEnum):
    """Where a state stands (see the module docstring); a string, so it can go into JSON and templates."""

    UNDER_WAY = "under_way"
    WAITING = "waiting"
    DONE = "done"


class UnknownState(ValueError):
    """A state that is not in its machine's table (or a machine this module does not know)."""


UNDER_WAY, WAITING, DONE = Phase.UNDER_WAY, Phase.WAITING, Phase.DONE

PHASES = {
    Stage: {
        Stage.SELF_ASSESSMENT: UNDER_WAY,  # the person in direct charge fills it in
        Stage.SELF_APPROVAL: WAITING,  # the secretary approves or sends it back
        Stage.MASS_EVALUATION: WAITING,  # the masses evaluate, the office closes the evaluation
        Stage.SUPERIOR_REVIEW: WAITING,  # the reviewer scores and decides the outcome
        Stage.COMMENDATION: WAITING,  # the office decides on the proposed commendation
        Stage.RECTIFICATION: UNDER_WAY,  # the owners rectify their items
        Stage.ACCOUNTABILITY: WAITING,  # the office proposes and approves a measure
        Stage.CLOSED: DONE,
    },
    ItemState: {
        ItemState.OPEN: UNDER_WAY,  # the owner rectifies
        ItemState.REPORTED: WAITING,  # the reviewer verifies or returns it
        ItemState.EXTENSION_REQUESTED: WAITING,  # the owner asked for more time; the reviewer decides
        ItemState.VERIFIED: DONE,
    },
    RecheckState: {  # issue 20: 回头看
        RecheckState.SCHEDULED: WAITING,  # waits for its date, then for the reviewing side
        RecheckState.CONFIRMED: DONE,
        RecheckState.REOPENED: DONE,  # the item itself is under way again
    },
    CycleState: {
        CycleState.DRAFT: UNDER_WAY,
        CycleState.OPEN: UNDER_WAY,  # its assessments are under way
        CycleState.CLOSED: DONE,
    },
    CampaignState: {
        CampaignState.DRAFT: UNDER_WAY,
        CampaignState.OPEN: UNDER_WAY,  # voting
        CampaignState.CLOSED: DONE,  # the tally is final
    },
    PlanState: {
        PlanState.DRAFT: UNDER_WAY,
        PlanState.FROZEN: UNDER_WAY,  # the office draws
        PlanState.DRAWN: UNDER_WAY,  # its inspections are under way
        PlanState.CLOSED: DONE,
        PlanState.CANCELLED: DONE,
    },
    InspectionState: {
        InspectionState.RECORDING: UNDER_WAY,  # the inspectors check and record
        InspectionState.SIGNING: WAITING,  # the other inspectors sign
        InspectionState.REVIEW: WAITING,  # the oversight office decides
        InspectionState.DONE: DONE,
    },
    SettlementState: {
        SettlementState.SETTLING: UNDER_WAY,  # the office settles the cycle's ratings under the cap
        SettlementState.SETTLED: DONE,
    },
    MeetingState: {
        MeetingState.PREPARED: UNDER_WAY,  # the reporters write their reports
        MeetingState.REPORTS_SUBMITTED: WAITING,  # the reports are in; the meeting is to be held
        MeetingState.HELD: UNDER_WAY,  # the attendees vote, the leaders comment
        MeetingState.APPRAISAL_CLOSED: WAITING,  # the office confirms the results
        MeetingState.CONFIRMED: DONE,
    },
    DutyListState: {
        DutyListState.DRAFT: UNDER_WAY,  # the organisation's secretary edits its duty list and yearly tasks
        DutyListState.CONFIRMED: DONE,
    },
    ConsolidationState: {
        ConsolidationState.DRAFT: UNDER_WAY,  # the superior office draws up the consolidation plan
        ConsolidationState.UNDER_WAY: UNDER_WAY,  # the organisation works through the milestones
        ConsolidationState.ACCEPTED: WAITING,  # passed the acceptance check; the office lifts the designation
        ConsolidationState.LIFTED: DONE,
    },
    MilestoneState: {
        MilestoneState.OPEN: UNDER_WAY,  # the secretary reports progress
        MilestoneState.DONE: DONE,
    },
    ObjectionState: {
        ObjectionState.OPEN: WAITING,  # raised; the office upholds or dismisses it
        ObjectionState.UPHELD: DONE,
        ObjectionState.DISMISSED: DONE,
    },
}

# the model (by its label: this module sits below the models, which ask it) whose `state` each machine is
MACHINES = {
    "flows.assessment": Stage,
    "flows.rectificationitem": ItemState,
    "flows.rectificationrecheck": RecheckState,
    "flows.reviewcycle": CycleState,
    "flows.campaign": CampaignState,
    "flows.spotcheckplan": PlanState,
    "flows.inspection": InspectionState,
    "flows.objection": ObjectionState,
    "flows.ratingsettlement": SettlementState,
    "flows.reportmeeting": MeetingState,
    "flows.consolidationplan": ConsolidationState,
    "flows.consolidationmilestone": MilestoneState,
    "flows.dutylist": DutyListState,
}

# Named subsets, for readers that ask more than the phase (an assessment's stage strip; what needs a plan drawn).
# The stages every assessment passes, in order, before the superior review decides what follows; and where that
# decision can lead. Together they are every stage.
STAGES_BEFORE_OUTCOME = (Stage.SELF_ASSESSMENT, Stage.SELF_APPROVAL, Stage.MASS_EVALUATION, Stage.SUPERIOR_REVIEW)
OUTCOME_STAGES = frozenset(STAGE_OF_OUTCOME.values())
# Plans whose draw has happened (the seed is revealed, the sample and the inspectors are known).
PLANS_DRAWN = (PlanState.DRAWN, PlanState.CLOSED)


def _machine(machine):
    """The choices class of a machine named by its choices class, its model or an instance of the model."""
    if isinstance(machine, type) and machine in PHASES:
        return machine
    meta = getattr(machine, "_meta", None)
    if meta is not None and meta.label_lower in MACHINES:
        return MACHINES[meta.label_lower]
    raise UnknownState(f"{machine!r} is not a state machine of flows/models/state_groups.py")


def phase_of(machine, state) -> Phase:
    """The phase of `state` of `machine` (a choices class such as `ItemState`, a model or a model instance).
    Raises `UnknownState` for a state that is in no table."""
    choices = _machine(machine)
    try:
        return PHASES[choices][state]
    except (KeyError, TypeError):
        raise UnknownState(
            f"{choices.__name__} {state!r} is in no phase: put it in PHASES[{choices.__name__}] "
            "in flows/models/state_groups.py"
        ) from None


def states_in(machine, *phases: Phase) -> tuple[str, ...]:
    """The states of `machine` in any of `phases`, for an ORM filter (`state__in=states_in(Assessment, DONE)`).
    Raises `UnknownState` if a state of the machine's choices is in no table: a filter would quietly leave it out."""
    choices = _machine(machine)
    table = PHASES[choices]
    missing = [value for value in choices.values if value not in table]
    if missing:
        raise UnknownState(
            f"{choices.__name__} {', '.join(map(repr, missing))} in no phase: put it in PHASES[{choices.__name__}] "
            "in flows/models/state_groups.py"
        )
    return tuple(state for state, phase in table.items() if phase in phases)


def count_by_phase(machine, rows) -> dict[Phase, int]:
    """Fold (state, count) pairs, such as `qs.values_list("state").annotate(n=Count("pk"))`, into a count per
    phase (every phase present). Raises `UnknownState` for a state that is in no table."""
    counts = dict.fromkeys(Phase, 0)
    for state, n in rows:
        counts[phase_of(machine, state)] += n
    return counts
