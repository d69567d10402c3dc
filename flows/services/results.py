"""Settling a cycle's results (等次审定) and every later change of a rating (see `models.results`).

* `settlement_start`: the office's task to settle the cycle's ratings — started when the last review of the cycle
  is submitted, or by the office at any time; a review submitted after settling reopens it.
* `ratings_settle`: the office lowers ratings it finds too high (each a recorded change with its reason) and
  settles; over the cap on 好 only with an override reason, audited and printed in the written report.
* `rating_change`: the one way a rating changes after the review gave it (settling, a spot check, an upheld
  objection): the change and its reason are recorded, audited, and follow through to the classification of that
  year when it has been recorded (the cycle closed).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.domain import scoring
from flows.models import (
    Assessment,
    ClassificationRecord,
    Rating,
    RatingChange,
    RatingSettlement,
    RatingSource,
    RecordSource,
    ReviewCycle,
    SettlementState,
    classification_for,
)
from flows.models.state_groups import STAGES_BEFORE_OUTCOME
from flows.policy import access
from flows.selectors import results
from flows.services import counts
from flows.services.audit import audit_record
from flows.services.classifications import sync_current
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, flow_start, open_task, task_complete

# from best to worst: a rating is lowered by moving right
RATING_ORDER = (Rating.GOOD, Rating.FAIRLY_GOOD, Rating.AVERAGE, Rating.POOR)


def is_lower(new: str, old: str) -> bool:
    return new in RATING_ORDER and old in RATING_ORDER and RATING_ORDER.index(new) > RATING_ORDER.index(old)


# ---- the office's task -----------------------------------------------------------------------------------------


def settlement_start(*, cycle: ReviewCycle, by=None) -> RatingSettlement:
    """The settling task for the cycle's office (once; reopened if already settled). `by` None: the system, when
    the last review came in; otherwise an officer of the cycle's office."""
    if by is not None and not access.can_manage_cycle(by, cycle):
        raise PermissionDenied(_("Only officers of the cycle's oversight office settle its ratings."))
    if by is not None and not results.cycle_results(cycle).exists():
        raise ValidationError(_("No review of this cycle has been submitted yet: there are no ratings to settle."))
    settlement, created = RatingSettlement.objects.select_for_update().get_or_create(cycle=cycle)
    if created:
        audit_record(actor=by, action="ratingsettlement.start", subject=cycle)
    elif settlement.state == SettlementState.SETTLED:
        if cycle_published(cycle):
            raise AlreadyHandled(_("The results of this cycle have already been published."))
        step_take(settlement, "reopen", by=by, system=by is None, comment=_("Settled again before publication"))
    elif settlement.process_id and open_task(settlement.process, "RatingSettlementFlow.settle") is not None:
        return settlement  # already waiting for the office
    flow_start("RatingSettlementFlow", settlement=settlement)
    return settlement


def cycle_published(cycle) -> bool:
    from flows.models import Publication

    return Publication.objects.filter(cycle=cycle).exists()


def after_review_submitted(cycle: ReviewCycle) -> None:
    """A review of the cycle was submitted: once none is left to come, the office settles the ratings; a result
    arriving after they were settled (and before publication) reopens the settling."""
    settlement = RatingSettlement.objects.filter(cycle=cycle).first()
    if settlement is not None and settlement.state == SettlementState.SETTLED and not cycle_published(cycle):
        settlement_start(cycle=cycle)
    elif settlement is None and not cycle.assessments.filter(state__in=STAGES_BEFORE_OUTCOME).exists():
        settlement_start(cycle=cycle)


@transaction.atomic
def ratings_settle(*, settlement, by, lowered: dict, override_reason: str = "", activation=None) -> RatingSettlement:
    """Settle the cycle's ratings. `lowered`: {assessment id: (new rating, reason)} for the ratings the office
    lowers now. Over the cap on 好 afterwards, settling needs `override_reason`."""
    s = RatingSettlement.objects.select_for_update().select_related("cycle").get(pk=settlement.pk)
    if s.state != SettlementState.SETTLING:
        raise AlreadyHandled(_("These ratings have already been settled."))
    cycle = s.cycle
    if not access.can_manage_cycle(by, cycle):
        raise PermissionDenied(_("Only officers of the cycle's oversight office settle its ratings."))
    counted = {a.pk: a for a in results.cycle_results(cycle).select_for_update(of=("self",))}
    errors = []
    changes = []
    for pk, (rating, reason) in sorted(lowered.items()):
        a = counted.get(pk)
        if a is None:
            errors.append(_("An organisation in the list is no longer rated in this cycle; reload the page."))
            continue
        if not rating or rating == a.rating:
            continue
        if not is_lower(rating, a.rating):
            errors.append(
                _("%(org)s: settling can only lower a rating (it is “%(rating)s”).")
                % {"org": a.organisation.name, "rating": a.get_rating_display()}
            )
        elif not (reason or "").strip():
            errors.append(_("%(org)s: give the reason for lowering the rating.") % {"org": a.organisation.name})
        else:
            changes.append((a, rating, reason.strip()))
    if errors:
        raise ValidationError({"lowered": errors})
    for a, rating, reason in changes:
        rating_change(assessment=a, to=rating, reason=reason, source=RatingSource.SETTLEMENT, by=by)
    figures = results.good_and_rated(cycle.assessments.all())
    over = scoring.good_count_exceeds_cap(cycle, **figures)
    override_reason = (override_reason or "").strip() if over else ""
    if over and not override_reason:
        share = round(figures["good"] * 100 / figures["rated"], 1)
        raise ValidationError(
            {
                "override_reason": _(
                    "%(good)s of %(rated)s rated good (%(share)s%%) is over the cap of %(cap)s%%: lower ratings, "
                    "or give the reason for exceeding the cap."
                )
                % {**figures, "share": share, "cap": cycle.good_cap_percent}
            }
        )
    step_take(
        s,
        "settle",
        by=by,
        params={"by": by, "at": timezone.now(), "over_cap": over, "override_reason": override_reason, **figures},
        comment=override_reason
        or _("%(good)s of %(rated)s rated good; %(n)s lowered") % {**figures, "n": len(changes)},
    )
    task_complete(s.process, "RatingSettlementFlow.settle", by=by, activation=activation)
    return s


# ---- a rating changed after the review -------------------------------------------------------------------------


def rating_change(*, assessment: Assessment, to: str, reason: str, source: str, by, action: str = "") -> RatingChange:
    """Change a result's rating (checked by the caller: lower only, for settling and spot checks), recorded with
    its reason and audited; the classification of that year follows when it has been recorded. Inside the
    caller's transaction, on a locked assessment."""
    assert transaction.get_connection().in_atomic_block
    before = assessment.rating
    counted = counts.before_change(assessment)
    assessment.rating = to
    assessment.save(update_fields=["rating", "updated_at"])
    counts.after_change(assessment, counted)
    change = RatingChange.objects.create(
        assessment=assessment, source=source, rating_before=before, rating_after=to, reason=reason, changed_by=by
    )
    audit_record(
        actor=by,
        action=action or "assessment.rating_settled",
        subject=assessment,
        from_value=before,
        to_value=to,
        comment=reason,
    )
    _classification_follows(assessment, change)
    return change


def _classification_follows(assessment: Assessment, change: RatingChange) -> None:
    """The year's classification record (written when the cycle closed) takes the new rating; the classification
    changes with it unless the office set it by hand, whose correction stands (its record keeps the new rating)."""
    record = (
        ClassificationRecord.objects.select_for_update()
        .filter(organisation_id=assessment.organisation_id, year=assessment.cycle.year, cycle=assessment.cycle)
        .first()
    )
    if record is None:
        return
    counted = counts.records_before(assessment.organisation_id)
    weak = assessment.organisation.weak_and_lax
    derived = classification_for(change.rating_after, weak_and_lax=weak)
    before = record.classification
    record.rating, record.derived = change.rating_after, derived
    fields = ["rating", "derived"]
    if record.source != RecordSource.OFFICE:
        record.classification = derived
        record.reason = f"{RatingSource(change.source).label}：{change.reason}"
        fields += ["classification", "reason"]
    record.save(update_fields=fields)
    counts.records_after(assessment.organisation_id, counted)
    if record.classification != before:
        audit_record(
            actor=change.changed_by,
            action="classification.follow_rating",
            subject=assessment.organisation,
            from_value=before,
            to_value=record.classification,
            comment=f"{assessment.cycle.year}：{record.reason}",
        )
        sync_current([assessment.organisation_id])
