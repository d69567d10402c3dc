"""Inspections drawn by a spot-check plan: the checklist and findings, the joint sign-off, and the oversight
office's decision, which turns confirmed findings into rectification items and may lower a rating."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.models import Assessment, RatingSource, Stage
from flows.models.people import today
from flows.models.spotchecks import (
    CheckOutcome,
    Finding,
    FindingDecision,
    FindingEvidence,
    Inspection,
    InspectionState,
    PlanState,
    Severity,
)
from flows.models.state_groups import Phase, states_in
from flows.policy import steps
from flows.selectors import results
from flows.services.assessments import rectification_item_create, responsible_people
from flows.services.audit import audit_record
from flows.services.evidence import evidence_store
from flows.services.results import is_lower, rating_change
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, task_complete

# from best to worst: a rating may only move to the right


def _lock(inspection, *, expected=None) -> Inspection:
    fresh = (
        Inspection.objects.select_for_update(of=("self",)).select_related("plan", "organisation").get(pk=inspection.pk)
    )
    if expected is not None and fresh.state != expected:
        raise AlreadyHandled(
            _("The inspection is now “%(state)s”; nothing was changed.") % {"state": fresh.get_state_display()}
        )
    return fresh


def _require_lead(by, insp):
    if not steps.allows(by, "inspection.submit", insp):
        raise PermissionDenied(_("The lead inspector records the check."))


# ---- recording ------------------------------------------------------------------------------------------------


@transaction.atomic
def inspection_save(*, inspection, by, results: dict, summary: str) -> Inspection:
    """Save the checklist draft: `results` maps a checklist code to (outcome, note)."""
    insp = _lock(inspection, expected=InspectionState.RECORDING)
    _require_lead(by, insp)
    rows = {r.code: r for r in insp.results.all()}
    errors = []
    for code, (outcome, note) in results.items():
        row = rows.get(code)
        if row is None:
            continue
        if outcome and outcome not in CheckOutcome.values:
            errors.append(_("%(item)s: choose a result from the list.") % {"item": row.title})
            continue
        if (row.outcome, row.note) != (outcome, note.strip()):
            row.outcome, row.note = outcome, note.strip()
            row.save(update_fields=["outcome", "note"])
    if errors:
        raise ValidationError({"checklist": errors})
    insp.summary = summary.strip()
    insp.save(update_fields=["summary"])
    return insp


@transaction.atomic
def finding_add(*, inspection, by, severity: str, description: str, check_code="", requirement="", files=()):
    """Record a finding with its evidence files (each already checked for size and type: (upload, content_type))."""
    insp = _lock(inspection, expected=InspectionState.RECORDING)
    _require_lead(by, insp)
    errors = {}
    if severity not in Severity.values:
        errors["severity"] = _("Choose the severity.")
    if not description.strip():
        errors["description"] = _("Describe the finding.")
    if check_code and not insp.results.filter(code=check_code).exists():
        errors["check_code"] = _("Choose an item of this checklist.")
    if errors:
        raise ValidationError(errors)
    finding = Finding.objects.create(
        inspection=insp,
        check_code=check_code,
        severity=severity,
        description=description.strip(),
        requirement=requirement.strip(),
        created_by=by,
    )
    for upload, content_type in files:
        evidence_store(FindingEvidence, upload=upload, content_type=content_type, by=by, finding=finding)
    audit_record(actor=by, action="inspection.finding", subject=insp, to_value=severity, comment=description.strip())
    return finding


@transaction.atomic
def finding_remove(*, inspection, by, finding_id: int) -> None:
    insp = _lock(inspection, expected=InspectionState.RECORDING)
    _require_lead(by, insp)
    finding = insp.findings.filter(pk=finding_id).first()
    if finding is None:
        raise AlreadyHandled()
    audit_record(actor=by, action="inspection.finding_removed", subject=insp, comment=finding.description)
    for ev in finding.evidence.all():
        ev.file.delete(save=False)
    finding.delete()


def _sign(insp, by):
    seat = insp.seats.filter(inspector=by, signed_at__isnull=True).first()
    if seat is None:
        raise AlreadyHandled()
    seat.signed_at = timezone.now()
    seat.save(update_fields=["signed_at"])


@transaction.atomic
def inspection_submit(*, inspection, by, activation=None) -> Inspection:
    """The lead inspector submits (and signs); the other inspectors sign next."""
    insp = _lock(inspection, expected=InspectionState.RECORDING)
    _require_lead(by, insp)
    missing = "、".join(insp.results.filter(outcome="").values_list("title", flat=True))
    unmet = ValidationError({"checklist": [_("Give a result for every item: %(items)s.") % {"items": missing}]})
    insp.return_comment = ""
    step_take(insp, "submit", by=by, unmet=unmet)
    _sign(insp, by)
    if insp.all_signed():
        step_take(insp, "signed", by=by, system=True)
    task_complete(insp.process, "InspectionFlow.record", by=by, activation=activation)
    return insp


@transaction.atomic
def inspection_sign(*, inspection, by, agree: bool, comment="", activation=None) -> Inspection:
    """An assigned inspector signs the record, or sends it back to the lead with a reason (signatures are cleared)."""
    insp = _lock(inspection, expected=InspectionState.SIGNING)
    if not steps.allows(by, "inspection.sign", insp):
        raise PermissionDenied(_("Only an assigned inspector who has not signed yet can sign."))
    if agree:
        _sign(insp, by)
        audit_record(actor=by, action="inspection.sign", subject=insp, comment=comment.strip())
        if insp.all_signed():
            step_take(insp, "signed", by=by, system=True)
    else:
        if not comment.strip():
            raise ValidationError({"comment": _("Say what must be changed before you can sign.")})
        step_take(insp, "send_back", by=by, params={"comment": comment.strip()}, comment=comment.strip())
        insp.seats.update(signed_at=None)
    task_complete(insp.process, "InspectionFlow.sign", by=by, activation=activation)
    return insp


# ---- the oversight office's decision --------------------------------------------------------------------------


def assessment_for(insp: Inspection):
    """The organisation's assessment the findings go to: the plan's cycle, else its latest year (whichever office
    runs that cycle: an inspection office checks organisations whose cycles the organisation department runs)."""
    qs = Assessment.objects.filter(organisation_id=insp.organisation_id)
    if insp.plan.cycle_id:
        return qs.filter(cycle_id=insp.plan.cycle_id).first()
    return qs.order_by("-cycle__year", "-pk").first()


@transaction.atomic
def inspection_decide(
    *, inspection, by, decisions: dict, lower_rating_to="", rating_reason="", comment="", activation=None
) -> Inspection:
    """Confirm or dismiss each finding. `decisions` maps a finding id to {"confirm": bool, "note", and for a
    confirmed finding "owner" (a user) and "due" (a date)}. Confirmed findings become rectification items of the
    organisation's assessment, reopening its rectification stage if the year was closed. The rating may be lowered
    (never raised) with a recorded reason."""
    insp = _lock(inspection, expected=InspectionState.REVIEW)
    if not steps.allows(by, "inspection.decide", insp):
        raise PermissionDenied(_("Only officers of the oversight office decide on the findings."))
    findings = list(insp.findings.all())
    errors = []
    confirmed = []
    owners = set(responsible_people(insp.organisation).values_list("pk", flat=True))
    for n, f in enumerate(findings, 1):
        d = decisions.get(f.pk)
        if d is None or d.get("confirm") is None:
            errors.append(_("Finding %(n)s: confirm or dismiss it.") % {"n": n})
            continue
        if not d["confirm"]:
            if not (d.get("note") or "").strip():
                errors.append(_("Finding %(n)s: say why it is dismissed.") % {"n": n})
            continue
        owner, due = d.get("owner"), d.get("due")
        if owner is None or owner.pk not in owners:
            errors.append(_("Finding %(n)s: the owner must be a current leader of the organisation.") % {"n": n})
        if not isinstance(due, datetime.date) or due < today():
            errors.append(_("Finding %(n)s: the due date must not be in the past.") % {"n": n})
        confirmed.append((f, d))
    assessment = assessment_for(insp)
    if (confirmed or lower_rating_to) and assessment is None:
        errors.append(_("This organisation has no assessment to add rectification items to."))
    if lower_rating_to:
        if assessment is not None and not results.is_result(assessment):
            errors.append(_("The organisation has not been rated yet; there is no rating to lower."))
        elif assessment is not None and not is_lower(lower_rating_to, assessment.rating):
            errors.append(_("A spot check can only lower the rating."))
        if not rating_reason.strip():
            errors.append(_("Give the reason for lowering the rating."))
    if errors:
        raise ValidationError({"decisions": errors})

    for f in findings:
        d = decisions[f.pk]
        f.decision = FindingDecision.CONFIRMED if d["confirm"] else FindingDecision.DISMISSED
        f.decision_note = (d.get("note") or "").strip()
        f.save(update_fields=["decision", "decision_note"])
    if confirmed:
        a = Assessment.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=assessment.pk)
        if a.state == Stage.CLOSED:
            step_take(a, "reopen_rectification", by=by, comment=_("Spot check: %(plan)s") % {"plan": insp.plan.name})
        for f, d in confirmed:
            f.rectification_item = rectification_item_create(
                assessment=a,
                by=by,
                problem=f.description,
                requirement=f.requirement,
                owner=d["owner"],
                due=d["due"],
                comment=_("From the spot check “%(plan)s”") % {"plan": insp.plan.name},
            )
            f.save(update_fields=["rectification_item"])
    if lower_rating_to:
        a = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("cycle", "organisation")
            .get(pk=assessment.pk)
        )
        insp.rating_lowered_to, insp.rating_reason = lower_rating_to, rating_reason.strip()
        rating_change(
            assessment=a,
            to=lower_rating_to,
            reason=insp.rating_reason,
            source=RatingSource.SPOT_CHECK,
            by=by,
            action="assessment.rating_lowered",
        )
    step_take(insp, "decide", by=by, params={"by": by, "comment": comment.strip()})
    task_complete(insp.process, "InspectionFlow.review", by=by, activation=activation)
    plan = insp.plan
    if (
        not plan.inspections.exclude(state__in=states_in(Inspection, Phase.DONE)).exists()
        and plan.state == PlanState.DRAWN
    ):
        from flows.models import SpotCheckPlan

        p = SpotCheckPlan.objects.select_for_update().get(pk=plan.pk)
        step_take(p, "close", by=by, system=True, action="spotcheck.close")
    return insp
