"""What counts as a result: the one place that decides.

An assessment is a result once its superior review has been submitted (it has left the stages before the
outcome) and it carries a rating. A saved draft review is not a rating: it gives the assessment no combined score
and no rating, and every surface that shows or exports results — the cycle dashboard and its ranking and 等次分布,
the cycle page, the written report, the results ledger, 等次审定, 公示 and the year over year — reads them from
`counted` here. The reviewer alone sees the draft, as a draft (`draft_result`).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from flows.domain import scoring
from flows.models import Assessment, ItemScore, Rating, ReviewCycle
from flows.models.state_groups import OUTCOME_STAGES

RESULT_STAGES = tuple(sorted(OUTCOME_STAGES))


def counted(assessments: QuerySet) -> QuerySet:
    """Only the assessments whose submitted review gave them a rating."""
    return assessments.filter(state__in=RESULT_STAGES).exclude(rating="")


def cycle_results(cycle: ReviewCycle) -> QuerySet:
    return counted(cycle.assessments.all())


def counts_as_result(state: str, rating: str) -> bool:
    """The same rule as `counted`, for rows already read as plain values."""
    return state in RESULT_STAGES and bool(rating)


def is_result(assessment: Assessment) -> bool:
    return counts_as_result(assessment.state, assessment.rating)


@dataclass(frozen=True)
class ReviewResult:
    """What the reviewer's scores give: the superior score, whether a veto item was hit, the combined score and
    the rating. For a draft, shown to the reviewer only; on submission, stored on the assessment."""

    superior_score: Decimal | None
    veto: bool
    combined_score: Decimal | None
    rating: str

    @property
    def rating_label(self) -> str:
        return str(Rating(self.rating).label) if self.rating else ""


def review_result(assessment: Assessment) -> ReviewResult:
    rows = ItemScore.objects.filter(assessment=assessment).values_list("indicator_id", "superior_points", "veto_hit")
    points = {i: p for i, p, _hit in rows if p is not None}
    veto = any(hit for _i, _p, hit in rows)
    template = assessment.template
    superior = scoring.points_total(template, template.indicators.all(), points) if points else None
    if superior is None:
        return ReviewResult(None, veto, None, "")
    cycle = assessment.cycle
    combined = scoring.combined_score(
        cycle,
        self_score=assessment.self_score,
        mass_score=assessment.mass_score,
        superior_score=superior,
        social_score=assessment.social_score,
    )
    return ReviewResult(superior, veto, combined, scoring.rating(cycle, combined, veto=veto))


def draft_result(assessment: Assessment) -> ReviewResult | None:
    """The reviewer's saved draft as it would rate, while the review is not submitted (None once it is)."""
    if is_result(assessment) or assessment.state in RESULT_STAGES:
        return None
    return review_result(assessment)


def good_and_rated(assessments: QuerySet) -> dict:
    """{"good": rated good, "rated": rated} among the counted results of `assessments` (one query)."""
    ratings = list(counted(assessments).values_list("rating", flat=True))
    return {"good": sum(1 for r in ratings if r == Rating.GOOD), "rated": len(ratings)}


RATINGS_BEST_FIRST = (Rating.GOOD, Rating.FAIRLY_GOOD, Rating.AVERAGE, Rating.POOR)


def settlement_page(settlement, *, posted=None) -> dict:
    """The office's settling screen: every result of the cycle, best score first, with the ratings each may be
    lowered to, beside the cap on 好 (and what was typed, when a refused form comes back)."""
    from flows.models import RatingChange

    cycle = settlement.cycle
    rows = list(
        counted(cycle.assessments.all())
        .select_related("organisation")
        .order_by("-combined_score", "organisation__path")
    )
    changes: dict[int, list] = {}
    for change in RatingChange.objects.filter(assessment__cycle=cycle).order_by("changed_at", "pk"):
        changes.setdefault(change.assessment_id, []).append(change)
    for a in rows:
        below = RATINGS_BEST_FIRST[RATINGS_BEST_FIRST.index(a.rating) + 1 :] if a.rating in RATINGS_BEST_FIRST else ()
        a.lower_choices = [(r.value, str(r.label)) for r in below]
        a.changes = changes.get(a.pk, [])
        a.posted_rating = (posted or {}).get(f"lower_{a.pk}", "")
        a.posted_reason = (posted or {}).get(f"reason_{a.pk}", "")
    figures = good_and_rated(cycle.assessments.all())
    share = round(figures["good"] * 100 / figures["rated"], 1) if figures["rated"] else None
    waiting = cycle.assessments.exclude(state__in=RESULT_STAGES).count()
    return {
        "cycle": cycle,
        "rows": rows,
        "share": share,
        "cap": cycle.good_cap_percent,
        "over_cap": scoring.good_count_exceeds_cap(cycle, **figures),
        "waiting": waiting,
        **figures,
    }
