"""Changes to an office's local calendar (its days off and make-up working days), audited."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from flows.models import DayOff
from flows.policy import access
from flows.services.audit import audit_record


@transaction.atomic
def day_off_set(*, by, office, date, name, working=False) -> DayOff:
    if office.pk not in access.offices_of(by):
        raise PermissionDenied(_("Only officers of the oversight office change its calendar."))
    day, _created = DayOff.objects.update_or_create(
        office=office, date=date, defaults={"name": name.strip(), "working": working}
    )
    audit_record(
        actor=by,
        action="calendar.set",
        subject=office,
        to_value=f"{date} {'working' if working else 'off'}",
        comment=name.strip(),
    )
    return day


@transaction.atomic
def day_off_remove(*, by, office, pk) -> None:
    if office.pk not in access.offices_of(by):
        raise PermissionDenied(_("Only officers of the oversight office change its calendar."))
    deleted, _n = DayOff.objects.filter(office=office, pk=pk).delete()
    if deleted:
        audit_record(actor=by, action="calendar.remove", subject=office, from_value=str(pk))
