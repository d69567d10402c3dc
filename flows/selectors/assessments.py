"""Reads of one organisation's year: its page, its history and the due date of its stage."""

from functools import cache

from django.db import connection
from django.db.models import Exists, Q

from flows.models import (
    Assessment,
    AuditEntry,
    Dimension,
    Evidence,
    ItemScore,
    Stage,
)
from flows.models.compiled import CompiledQuery
from flows.models.indicators import template_items
from flows.models.state_groups import OUTCOME_STAGES, STAGES_BEFORE_OUTCOME, Phase, phase_of
from flows.policy import access
from flows.selectors import history

STAGE_STRIP = list(STAGES_BEFORE_OUTCOME)


def _history(q):
    return AuditEntry.objects.filter(q).select_related("actor").order_by("at", "pk")


# the commonest history (an assessment without rectification items), compiled once per process
_ASSESSMENT_HISTORY = CompiledQuery(
    lambda subject_id: _history(Q(subject_type="flows.assessment", subject_id=subject_id)), subject_id=str
)
# what every task screen reads of its assessment: its scores, its evidence with who uploaded it, and its template's
# items by dimension (compiled once per process; building these queries cost more than running them)
_SCORES = CompiledQuery(lambda assessment_id: ItemScore.objects.filter(assessment_id=assessment_id), assessment_id=int)
_EVIDENCE = CompiledQuery(
    lambda assessment_id: Evidence.objects.filter(assessment_id=assessment_id).select_related("uploaded_by"),
    assessment_id=int,
)
_DIMENSIONS = CompiledQuery(
    lambda template_id: Dimension.objects.filter(template_id=template_id).order_by("order", "pk"), template_id=int
)


def item_scores(assessment_id: int) -> list[ItemScore]:
    """The assessment's item scores (compiled once per process)."""
    return _SCORES(assessment_id=assessment_id)


def sent_back(assessment: Assessment, rows: list[AuditEntry]) -> AuditEntry | None:
    """The secretary's sending back of the self-assessment (its audit row: who, when, the reason), while the draft
    it sent back is being worked on again; None otherwise."""
    if assessment.state != Stage.SELF_ASSESSMENT:
        return None
    for row in reversed(rows):
        if row.action == "assessment.return_self":
            return row
        if row.action == "assessment.submit_self":
            return None
    return None


def assessment_history(assessment: Assessment, *, item_ids=None) -> list[AuditEntry]:
    """The audit rows of the assessment and of its rectification items (`item_ids` when the caller has read them)."""
    if item_ids is None:
        item_ids = assessment.rectification_items.values_list("pk", flat=True)
    item_ids = [str(pk) for pk in item_ids]
    q = Q(subject_type="flows.assessment", subject_id=str(assessment.pk))
    if item_ids:  # the items' rows too: a statement of another shape
        q |= Q(subject_type="flows.rectificationitem", subject_id__in=item_ids)
    entries = _history(q) if item_ids else _ASSESSMENT_HISTORY(subject_id=str(assessment.pk))
    rows = []
    for row in entries:
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


# what an assessment gathers in its later stages, read only when there is some: for most of the year there is none
_LATER = {
    "guidance_comments": lambda a: a.guidance_comments.exclude(comment="").select_related("guide", "author"),
    "commendations": lambda a: a.commendations.select_related("nominee", "proposed_by", "decided_by"),
    "rectification_items": lambda a: a.rectification_items.select_related("owner"),
    "measures": lambda a: a.accountability_measures.prefetch_related("persons"),
    "rating_changes": lambda a: a.rating_changes.all(),
}


_PROBE = -7_654_321  # an assessment id no row has: stands for the real one in the compiled statement below


@cache
def _later_statement(vendor: str) -> tuple[str, tuple]:
    """The SQL of "which of `_LATER`'s lists have rows" and its parameters, with `_PROBE` for the assessment: the
    ORM compiles its five EXISTS subqueries once per process (on every task screen it cost more than running it)."""
    probe = Assessment(pk=_PROBE)
    # no ordering on the outer query: none of the joins Assessment's default ordering would bring
    has = {f"has_{name}": Exists(read(probe).order_by()) for name, read in _LATER.items()}
    query = Assessment.objects.filter(pk=_PROBE).order_by().values(**has)
    return query.query.sql_with_params()


def _later(assessment: Assessment) -> dict[str, list]:
    """`_LATER`'s lists: which of them have rows, asked in one query, then those read."""
    sql, params = _later_statement(connection.vendor)
    with connection.cursor() as cur:
        cur.execute(sql, [assessment.pk if p == _PROBE else p for p in params])
        has = dict(zip((c[0] for c in cur.description), cur.fetchone(), strict=True))
    return {name: list(read(assessment)) if has[f"has_{name}"] else [] for name, read in _LATER.items()}


def assessment_page(user, assessment: Assessment) -> dict:
    """Everything a task screen shows about one organisation's year, in a fixed number of queries of its own (at most
    twelve; six while the year has no guidance comment, commendation, rectification item, accountability measure or
    change of rating)."""
    scores = {s.indicator_id: s for s in item_scores(assessment.pk)}
    evidence = _EVIDENCE(assessment_id=assessment.pk)
    by_indicator: dict = {}
    for ev in evidence:
        by_indicator.setdefault(ev.indicator_id, []).append(ev)
    template_id = assessment.template_id
    indicators: dict = {}  # by dimension, in the template's order
    for ind in template_items(template_id) if template_id else []:
        indicators.setdefault(ind.dimension_id, []).append(ind)
    dimensions = []
    for dim in _DIMENSIONS(template_id=template_id) if template_id else []:
        rows = [
            {"indicator": ind, "score": scores.get(ind.pk), "evidence": by_indicator.get(ind.pk, [])}
            for ind in indicators.get(dim.pk, [])
        ]
        dimensions.append({"dimension": dim, "rows": rows})
    under_way_outcome = assessment.state in OUTCOME_STAGES and phase_of(Stage, assessment.state) != Phase.DONE
    strip = [*STAGE_STRIP, assessment.state if under_way_outcome else None, Stage.CLOSED]
    order = {s: i for i, s in enumerate(s for s in strip if s)}
    current = order.get(assessment.state, 0)
    later = _later(assessment)
    history_rows = assessment_history(assessment, item_ids=[item.pk for item in later["rectification_items"]])
    return {
        "assessment": assessment,
        "dimensions": dimensions,
        "evidence": evidence,
        "history": history_rows,
        "sent_back": sent_back(assessment, history_rows),
        "stages": [
            {"value": s, "label": Stage(s).label, "done": order[s] < current, "current": order[s] == current}
            for s in strip
            if s
        ],
        **later,
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
