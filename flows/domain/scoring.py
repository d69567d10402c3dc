"""Combining scores into a rating: the cycle's weights and thresholds, with veto items applied.

Weights are relative: a component that has no score (e.g. no mass evaluation held, social evaluation not
used) drops out and the remaining weights are rescaled, so a missing stage neither rewards nor punishes.
"""

from decimal import ROUND_HALF_UP, Decimal

from flows.models import Rating
from flows.models.indicators import HUNDRED, IndicatorKind

TWO = Decimal("0.01")


def _weighted_mean(parts) -> Decimal | None:
    """Σ w·s / Σ w over the (score, weight) parts that have a score and a positive weight; None for none."""
    used = [(Decimal(s), Decimal(w)) for s, w in parts if s is not None and w > 0]
    total_weight = sum(w for _s, w in used)
    if not total_weight:
        return None
    return (sum(s * w for s, w in used) / total_weight).quantize(TWO, rounding=ROUND_HALF_UP)


def combined_score(cycle, *, self_score, mass_score, superior_score, social_score=None) -> Decimal:
    parts = [
        (self_score, cycle.weight_self),
        (mass_score, cycle.weight_mass),
        (superior_score, cycle.weight_superior),
        (social_score, cycle.weight_social),
    ]
    score = _weighted_mean(parts)
    return Decimal(0) if score is None else score


def person_score(cycle, *, appraisal, comment_points, organisation_score) -> Decimal | None:
    """A reporting secretary's combined score: the appraisal at the meeting, the points of the leader's comment and
    the organisation's combined score, weighted as the cycle says; a part without a value drops out and the other
    weights are rescaled (as in `combined_score`). None when no part has a value."""
    parts = [
        (appraisal, cycle.weight_meeting_appraisal),
        (comment_points, cycle.weight_meeting_comment),
        (organisation_score, cycle.weight_meeting_organisation),
    ]
    return _weighted_mean(parts)


def points_total(template, indicators, points: dict) -> Decimal:
    """A self or superior total from the points per item ({indicator id: points or None}) of a template's
    `indicators`: the regular points (scaled to 100 when the template is marked to be normalised), plus the bonus
    points up to the template's bonus cap, minus the deduction points up to its deduction cap; never below 0.
    Veto items carry no points."""
    regular = regular_max = bonus = deduction = Decimal(0)
    for ind in indicators:
        if ind.veto:
            continue
        got = Decimal(points.get(ind.pk) or 0)
        if ind.kind == IndicatorKind.BONUS:
            bonus += got
        elif ind.kind == IndicatorKind.DEDUCTION:
            deduction += got
        else:
            regular += got
            regular_max += ind.max_points
    if template.normalise and regular_max:
        regular = regular * HUNDRED / regular_max
    total = regular + min(bonus, template.bonus_cap) - min(deduction, template.deduction_cap)
    return max(total, Decimal(0)).quantize(TWO, rounding=ROUND_HALF_UP)


def rating(cycle, score: Decimal, *, veto: bool) -> str:
    return Rating.POOR if veto else cycle.rating_for(score)


def good_share_exceeds_cap(cycle, ratings: list[str]) -> bool:
    """Whether the share of "good" among the rated organisations is above the cycle's cap."""
    rated = [r for r in ratings if r]
    return good_count_exceeds_cap(cycle, good=sum(1 for r in rated if r == Rating.GOOD), rated=len(rated))


def good_count_exceeds_cap(cycle, *, good: int, rated: int) -> bool:
    if cycle.good_cap_percent is None or not rated:
        return False
    return Decimal(good) * 100 / rated > cycle.good_cap_percent
