"""Classification by year and the weak-and-lax list: recorded when a cycle closes, corrected and kept by the
oversight office. Every change writes its audit row in the same transaction."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from flows.models import (
    AuditEntry,
    Classification,
    ClassificationRecord,
    Criterion,
    DesignationCriterion,
    Organisation,
    RecordSource,
    ReviewCycle,
    WeakAndLaxPeriod,
    classification_for,
)
from flows.models.people import today
from flows.policy import access
from flows.selectors import consolidation as consolidation_reads
from flows.selectors import results
from flows.services import consolidation, counts
from flows.services.audit import audit_record


def sync_current(org_ids) -> None:
    """Each organisation's standing classification is that of its latest recorded year."""
    latest = {}
    for org_id, _year, classification in (
        ClassificationRecord.objects.filter(organisation_id__in=org_ids)
        .order_by("organisation_id", "year")
        .values_list("organisation_id", "year", "classification")
    ):
        latest[org_id] = classification
    by_value: dict[str, list] = {}
    for org_id, classification in latest.items():
        by_value.setdefault(classification, []).append(org_id)
    for classification, ids in by_value.items():
        Organisation.objects.filter(pk__in=ids).exclude(classification=classification).update(
            classification=classification
        )


def classifications_record_cycle(*, cycle: ReviewCycle, by) -> int:
    """Record the classification of every rated organisation in the cycle's year (called when it closes).

    An organisation already classified for that year by the office keeps the office's correction; a record from
    another cycle of the same year is replaced by this one only where this one has a rating. Returns the number of
    records written."""
    conn = transaction.get_connection()
    assert conn.in_atomic_block, "classifications are recorded inside the closing transaction"
    rated = list(results.cycle_results(cycle).values_list("organisation_id", "rating"))
    # weak and lax for the year: on the list at its end, not lifted after a passed acceptance check (整顿验收)
    weak_ids = consolidation_reads.weak_in_year([o for o, _r in rated], cycle.year)
    rated = [(o, r, o in weak_ids) for o, r in rated]
    existing = {
        r.organisation_id: r
        for r in ClassificationRecord.objects.filter(year=cycle.year, organisation_id__in=[o for o, _r, _w in rated])
    }
    new, changed, audits = [], [], []
    for org_id, rating, weak in rated:
        derived = classification_for(rating, weak_and_lax=weak)
        old = existing.get(org_id)
        if old is None:
            new.append(
                ClassificationRecord(
                    organisation_id=org_id,
                    year=cycle.year,
                    cycle=cycle,
                    rating=rating,
                    derived=derived,
                    classification=derived,
                    recorded_by=by if getattr(by, "pk", None) else None,
                )
            )
            before = ""
        elif old.source == RecordSource.OFFICE:
            old.cycle, old.rating, old.derived = cycle, rating, derived
            changed.append(old)
            continue
        else:
            before = old.classification
            old.cycle, old.rating, old.derived, old.classification = cycle, rating, derived, derived
            changed.append(old)
        if before != derived:
            audits.append(
                AuditEntry(
                    actor=by if getattr(by, "pk", None) else None,
                    action="classification.record",
                    subject_type="flows.organisation",
                    subject_id=str(org_id),
                    from_value=before,
                    to_value=derived,
                    comment=f"{cycle.year} · {cycle.name}",
                )
            )
    ClassificationRecord.objects.bulk_create(new, batch_size=2000)
    ClassificationRecord.objects.bulk_update(changed, ["cycle", "rating", "derived", "classification"], batch_size=2000)
    AuditEntry.objects.bulk_create(audits, batch_size=2000)
    sync_current([o for o, _r, _w in rated])
    return len(new) + len(changed)


def _oversee_or_refuse(by, organisation, message):
    if not access.can_oversee_organisation(by, organisation):
        raise PermissionDenied(message)


@transaction.atomic
def classification_correct(*, organisation: Organisation, year: int, classification: str, reason: str, by):
    """The oversight office sets an organisation's classification for a year, with a reason (audited)."""
    _oversee_or_refuse(
        by, organisation, _("Only the oversight office over this organisation corrects its classification.")
    )
    if classification not in Classification.values:
        raise ValidationError({"classification": _("Choose advanced, average or backward.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("Enter a year such as 2025.")}) from None
    if not 2000 <= year <= today().year:
        raise ValidationError({"year": _("Enter a year such as 2025.")})
    record = ClassificationRecord.objects.select_for_update().filter(
        organisation=organisation, year=year
    ).first() or ClassificationRecord(organisation=organisation, year=year)
    before = record.classification
    counted = counts.records_before(organisation.pk)
    record.classification = classification
    record.source = RecordSource.OFFICE
    record.reason = reason.strip()
    record.recorded_by = by
    record.save()
    counts.records_after(organisation.pk, counted)
    audit_record(
        actor=by,
        action="classification.correct",
        subject=organisation,
        from_value=before,
        to_value=classification,
        comment=f"{year}：{record.reason}",
    )
    sync_current([organisation.pk])
    return record


def _date(value, field):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: _("Enter a date such as 2025-03-01.")}) from None


def _criteria(criteria, other: str) -> list[tuple[str, str]]:
    """The criteria met, as (criterion, note) pairs; "other" needs its description."""
    chosen = []
    for c in dict.fromkeys(criteria):
        if c not in Criterion.values:
            raise ValidationError({"criteria": _("Choose the criteria from the list.")})
        chosen.append((c, other.strip() if c == Criterion.OTHER else ""))
    if other.strip() and Criterion.OTHER not in dict(chosen):
        chosen.append((Criterion.OTHER, other.strip()))
    if not chosen:
        raise ValidationError({"criteria": _("Tick at least one criterion the organisation met.")})
    if any(c == Criterion.OTHER and not note for c, note in chosen):
        raise ValidationError({"other": _("Describe the other criterion.")})
    return chosen


@transaction.atomic
def weak_and_lax_designate(
    *, organisation: Organisation, start, reason: str, by, criteria=None, other: str = ""
) -> WeakAndLaxPeriod:
    """Put an organisation on the weak-and-lax list (软弱涣散) from `start`, under consolidation. `criteria`: the
    listed criteria it met (`Criterion` values; "other" with its description in `other`); None only for the
    designations recorded before criteria were kept."""
    _oversee_or_refuse(
        by, organisation, _("Only the oversight office over this organisation keeps the weak-and-lax list.")
    )
    start = _date(start, "start")
    if start > today():
        raise ValidationError({"start": _("The date cannot lie in the future.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the designation.")})
    chosen = _criteria(criteria, other) if criteria is not None else []
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if WeakAndLaxPeriod.objects.filter(organisation=org, end__isnull=True).exists():
        raise ValidationError(_("This organisation is already on the weak-and-lax list."))
    period = WeakAndLaxPeriod.objects.create(organisation=org, start=start, reason=reason.strip(), designated_by=by)
    DesignationCriterion.objects.bulk_create(
        [DesignationCriterion(period=period, criterion=c, note=note) for c, note in chosen]
    )
    Organisation.objects.filter(pk=org.pk).update(weak_and_lax=True)
    audit_record(
        actor=by,
        action="weak_and_lax.designate",
        subject=org,
        from_value="",
        to_value=start.isoformat(),
        comment=period.reason,
    )
    return period


@transaction.atomic
def weak_and_lax_lift(*, organisation: Organisation, end, reason: str, by) -> WeakAndLaxPeriod:
    """Take an organisation off the weak-and-lax list once consolidation has succeeded (整顿转化): only after its
    consolidation plan passed the acceptance check (验收), on or after the check's date — from every door (the
    screen, the roster import, a shell), since the plan's `lift` step exists only from `accepted` and the database
    refuses a period that ends without the check's date."""
    _oversee_or_refuse(
        by, organisation, _("Only the oversight office over this organisation keeps the weak-and-lax list.")
    )
    end = _date(end, "end")
    if end > today():
        raise ValidationError({"end": _("The date cannot lie in the future.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for lifting the designation.")})
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    period = WeakAndLaxPeriod.objects.filter(organisation=org, end__isnull=True).first()
    if period is None:
        raise ValidationError(_("This organisation is not on the weak-and-lax list."))
    if end < period.start:
        raise ValidationError({"end": _("The designation cannot be lifted before it began.")})
    consolidation.lift_step(period=period, end=end, by=by)
    period.refresh_from_db(fields=["accepted_on"])
    period.end, period.end_reason, period.lifted_by = end, reason.strip(), by
    period.save()
    Organisation.objects.filter(pk=org.pk).update(weak_and_lax=False)
    audit_record(
        actor=by,
        action="weak_and_lax.lift",
        subject=org,
        from_value=period.start.isoformat(),
        to_value=end.isoformat(),
        comment=period.end_reason,
    )
    return period
