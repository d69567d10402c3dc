"""Results publication (公示) and objections (异议): publish a cycle's ratings for a period, raise an objection while
it runs, and the oversight office's decision on it (which may change the rating, keeping the old one and why)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from flows.domain import calendar
from flows.models import (
    Assessment,
    Objection,
    ObjectionState,
    Publication,
    Rating,
    RatingSettlement,
    RatingSource,
    SettlementState,
)
from flows.models.people import today
from flows.policy import access, steps
from flows.selectors import results
from flows.selectors.audit_head import audit_head
from flows.services.audit import audit_record
from flows.services.results import rating_change
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, flow_start, task_complete

PUBLICATION_WORKING_DAYS = 5


@transaction.atomic
def publication_open(*, by, cycle, working_days: int = PUBLICATION_WORKING_DAYS, note: str = "") -> Publication:
    """Publish the cycle's ratings from today for `working_days` working days (the office's own calendar)."""
    if not access.can_manage_cycle(by, cycle):
        raise PermissionDenied(_("Only officers of the cycle's oversight office publish its results."))
    if Publication.objects.filter(cycle=cycle).exists():
        raise AlreadyHandled(_("The results of this cycle have already been published."))
    if not 1 <= working_days <= 30:
        raise ValidationError({"working_days": _("A publication runs for 1 to 30 working days.")})
    if not results.cycle_results(cycle).exists():
        raise ValidationError(_("No organisation has been rated yet: there is nothing to publish."))
    settlement = RatingSettlement.objects.filter(cycle=cycle).first()
    if settlement is None or settlement.state != SettlementState.SETTLED:
        raise ValidationError(
            _("Settle the ratings first (等次审定): results submitted since are not settled yet.")
            if settlement is not None and settlement.settled_at
            else _("Settle the ratings first (等次审定): the office checks them against the cap before publishing.")
        )
    starts = today()
    ends = calendar.add_working_days(starts, working_days - 1, calendar.local_exceptions(cycle.office_id))
    head = audit_head()
    pub = Publication.objects.create(
        cycle=cycle,
        starts=starts,
        ends=ends,
        note=note.strip(),
        published_by=by,
        audit_head=f"{head[0]} · {head[1]}" if head else "",
    )
    audit_record(
        actor=by,
        action="publication.open",
        subject=cycle,
        to_value=f"{starts}–{ends}",
        comment=pub.note + (f"\nhead={head[0]}:{head[1]}" if head else ""),
    )
    return pub


def published_ratings(publication):
    return results.cycle_results(publication.cycle).select_related("organisation").order_by("organisation__path")


@transaction.atomic
def objection_raise(*, by, publication, assessment, reason: str) -> Objection:
    """Anyone who may see the publication objects to one organisation's rating, by name, while it runs."""
    if not by.is_authenticated:
        raise PermissionDenied
    if not publication.is_open(today()):
        raise ValidationError(
            _("The publication ran from %(starts)s to %(ends)s; objections are no longer accepted.")
            % {"starts": publication.starts, "ends": publication.ends}
        )
    if assessment.cycle_id != publication.cycle_id or not results.is_result(assessment):
        raise ValidationError({"assessment": _("Choose one of the published ratings.")})
    if not reason.strip():
        raise ValidationError({"reason": _("State the facts behind the objection.")})
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                publication=publication, assessment=assessment, raised_by=by, reason=reason.strip()
            )
    except IntegrityError as exc:
        raise ValidationError(_("You already have an objection to this rating being handled.")) from exc
    audit_record(actor=by, action="objection.raise", subject=assessment, comment=objection.reason)
    flow_start("ObjectionFlow", objection=objection)
    return objection


@transaction.atomic
def objection_decide(*, objection, by, uphold: bool, response: str, new_rating: str = "", activation=None):
    """The office upholds the objection (and changes the rating, old value and reason kept) or dismisses it."""
    obj = Objection.objects.select_for_update(of=("self",)).select_related("publication__cycle").get(pk=objection.pk)
    if obj.state != ObjectionState.OPEN:
        raise AlreadyHandled()
    refused = PermissionDenied(_("Only officers of the cycle's oversight office decide on objections."))
    if not steps.allows(by, "objection.uphold", obj):
        raise refused
    if not response.strip():
        raise ValidationError({"response": _("Give the response to the objection; it is shown to the objector.")})
    a = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("cycle", "organisation")
        .get(pk=obj.assessment_id)
    )
    if uphold:
        if new_rating not in Rating.values or new_rating == a.rating:
            raise ValidationError({"new_rating": _("Choose the corrected rating.")})
        params = {"by": by, "response": response.strip(), "rating_before": a.rating, "rating_after": new_rating}
        step_take(obj, "uphold", by=by, params=params, refused=refused, comment=response.strip())
        rating_change(
            assessment=a,
            to=new_rating,
            reason=response.strip(),
            source=RatingSource.OBJECTION,
            by=by,
            action="assessment.rating_changed_on_objection",
        )
    else:
        step_take(obj, "dismiss", by=by, params={"by": by, "response": response.strip()}, refused=refused)
        audit_record(actor=by, action="objection.dismiss", subject=a, comment=response.strip())
    task_complete(obj.process, "ObjectionFlow.decide", by=by, activation=activation)
    return obj
