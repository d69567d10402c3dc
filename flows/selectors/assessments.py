"""Reads of one organisation's year: its page, its history and the due date of its stage."""

from django.db.models import Q

from flows.models import (
    Assessment,
    AuditEntry,
    Evidence,
    ItemScore,
    Stage,
)
from flows.models.state_groups import OUTCOME_STAGES, STAGES_BEFORE_OUTCOME, Phase, phase_of
from flows.policy import access
from flows.selectors import history

STAGE_STRIP = list(STAGES_BEFORE_OUTCOME)


def assessment_history(assessment: Assessment) -> list[AuditEntry]:
    item_ids = [str(pk) for pk in assessment.rectification_items.values_list("pk", flat=True)]
    q = Q(subject_type="flows.assessment", subject_id=str(assessment.pk))
    if item_ids:
        q |= Q(subject_type="flows.rectificationitem", subject_id__in=item_ids)
    rows = []
    for row in AuditEntry.objects.filter(q).select_related("actor").order_by("at", "pk"):
        row.label, row.value_label = history.describe(row)
        row.files = []
        last = rows[-1] if rows else None
        # one line for a batch of files attached by the same person in one sitting (the names listed on it)
        if (
            row.action == "evidence.add"
            and last is not None
            and last.action == "evidence.add"
            and last.actor_id == row.actor_id
            and (row.at - last.at).total_seconds() < 600
        ):
            last.files.append(row.value_label)
            continue
        if row.action == "evidence.add":
            row.files, row.value_label = [row.value_label], ""
        rows.append(row)
    return rows


def assessment_page(user, assessment: Assessment) -> dict:
    """Everything a task screen shows about one organisation's year, in a fixed number of queries."""
    scores = {s.indicator_id: s for s in ItemScore.objects.filter(assessment=assessment)}
    evidence = list(Evidence.objects.filter(assessment=assessment).select_related("uploaded_by"))
    by_indicator: dict = {}
    for ev in evidence:
        by_indicator.setdefault(ev.indicator_id, []).append(ev)
    dimensions = []
    for dim in assessment.template.dimensions.prefetch_related("indicators"):
        rows = [
            {"indicator": ind, "score": scores.get(ind.pk), "evidence": by_indicator.get(ind.pk, [])}
            for ind in dim.indicators.all()
        ]
        dimensions.append({"dimension": dim, "rows": rows})
    under_way_outcome = assessment.state in OUTCOME_STAGES and phase_of(Stage, assessment.state) != Phase.DONE
    strip = [*STAGE_STRIP, assessment.state if under_way_outcome else None, Stage.CLOSED]
    order = {s: i for i, s in enumerate(s for s in strip if s)}
    current = order.get(assessment.state, 0)
    return {
        "assessment": assessment,
        "dimensions": dimensions,
        "evidence": evidence,
        "history": assessment_history(assessment),
        "stages": [
            {"value": s, "label": Stage(s).label, "done": order[s] < current, "current": order[s] == current}
            for s in strip
            if s
        ],
        "guidance_comments": list(assessment.guidance_comments.exclude(comment="").select_related("guide", "author")),
        "commendations": list(assessment.commendations.select_related("nominee", "proposed_by", "decided_by")),
        "rectification_items": list(assessment.rectification_items.select_related("owner")),
        "measures": list(assessment.accountability_measures.prefetch_related("persons")),
        "due": stage_due(assessment),
        "may_view_evidence": access.can_view_organisation(user, assessment.organisation),
    }


def stage_due(assessment: Assessment):
    c = assessment.cycle
    return {
        Stage.SELF_ASSESSMENT: c.self_due,
        Stage.SELF_APPROVAL: c.self_due,
        Stage.MASS_EVALUATION: c.mass_due,
        Stage.SUPERIOR_REVIEW: c.review_due,
        Stage.RECTIFICATION: c.rectification_due,
    }.get(assessment.state)
