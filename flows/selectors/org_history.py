"""An organisation's years: every cycle's assessment with its path through the stages (drawn from its audit rows:
the stages it passed, the send-backs, where it ended), its scores, rating, classification and outcome.

Three queries whatever the number of years: the assessments, their stage-changing audit rows, the organisation's
classification records; plus one for its weak-and-lax periods.
"""

from flows.models import Assessment, AuditEntry, ClassificationRecord, Stage, WeakAndLaxPeriod
from flows.models.people import today
from flows.models.state_groups import Phase, phase_of

STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}
HISTORY_LIMIT = 20


def _steps(rows) -> list[dict]:
    """The stages one assessment passed, in order; a step back (a send-back, a reopening) is marked."""
    labels = dict(Stage.choices)
    steps = []
    for entry in rows:
        to = entry.to_value
        if to not in labels or (steps and steps[-1]["stage"] == to):
            continue
        back = bool(steps) and STAGE_ORDER[to] < STAGE_ORDER[steps[-1]["stage"]]
        steps.append({"stage": to, "label": labels[to], "back": back, "at": entry.at})
    if steps:
        steps[-1]["last"] = True
    return steps


def organisation_history(org) -> list[Assessment]:
    rows = list(org.assessments.select_related("cycle").order_by("-cycle__year", "-pk")[:HISTORY_LIMIT])
    if not rows:
        return []
    audit: dict[str, list] = {}
    for entry in (
        AuditEntry.objects.filter(subject_type="flows.assessment", subject_id__in=[str(a.pk) for a in rows])
        .exclude(to_value="")
        .order_by("at", "id")
        .only("subject_id", "to_value", "at")
    ):
        audit.setdefault(entry.subject_id, []).append(entry)
    records = {r.year: r for r in ClassificationRecord.objects.filter(organisation=org)}
    from flows.domain.calendar import rag
    from flows.selectors.assessments import stage_due

    now = today()
    for a in rows:
        a.rag = rag(stage_due(a), now) if phase_of(Stage, a.state) != Phase.DONE else ""
        a.steps = _steps(audit.get(str(a.pk), []))
        if not a.steps or a.steps[-1]["stage"] != a.state:  # rows older than the audit trail: where it stands now
            a.steps.append({"stage": a.state, "label": a.get_state_display(), "back": False, "last": True})
            for s in a.steps[:-1]:
                s.pop("last", None)
        a.sent_back = sum(1 for s in a.steps if s["back"])
        a.classification_record = records.get(a.cycle.year)
    return rows


def weak_and_lax_periods(org) -> list[WeakAndLaxPeriod]:
    return list(WeakAndLaxPeriod.objects.filter(organisation=org).order_by("-start"))
