"""State changes of people, their roles and office memberships."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ..models import OfficeMembership, Organisation, OversightOffice, Role, RoleAssignment, User
from .audit import audit_record

SINGLE_HOLDER_ROLES = (Role.SECRETARY, Role.DEPUTY)


def _overlapping(qs, start, end):
    q = Q(end__isnull=True) | Q(end__gte=start)
    if end is not None:
        q &= Q(start__lte=end)
    return qs.filter(q)


@transaction.atomic
def role_assign(
    *, by, user: User, organisation: Organisation, role: str, start: datetime.date, end: datetime.date | None = None
) -> RoleAssignment:
    """Give a person a role. An organisation has one secretary and one leader in charge at a time."""
    if end is not None and end < start:
        raise ValidationError({"end": _("The end date cannot be before the start date.")})
    existing = RoleAssignment.objects.filter(user=user, organisation=organisation, role=role, start=start).first()
    if existing:
        return existing
    if role in SINGLE_HOLDER_ROLES:
        clash = (
            _overlapping(
                RoleAssignment.objects.select_for_update().filter(organisation=organisation, role=role), start, end
            )
            .exclude(user=user)
            .first()
        )
        if clash:
            raise ValidationError(
                {
                    "role": _(
                        "%(org)s already has a %(role)s in this period: %(person)s (from %(start)s). "
                        "End that role first."
                    )
                    % {
                        "org": organisation.name,
                        "role": clash.get_role_display(),
                        "person": clash.user,
                        "start": clash.start,
                    }
                }
            )
    ra = RoleAssignment(user=user, organisation=organisation, role=role, start=start, end=end)
    ra.full_clean(validate_constraints=False)
    ra.save()
    audit_record(actor=by, action="role.assign", subject=ra, to_value=f"{organisation.code}:{role}:{start}")
    return ra


@transaction.atomic
def role_end(*, by, assignment: RoleAssignment, end: datetime.date, comment: str = "") -> RoleAssignment:
    ra = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if end < ra.start:
        raise ValidationError({"end": _("The end date cannot be before the start date.")})
    old = ra.end
    ra.end = end
    ra.save(update_fields=["end"])
    audit_record(actor=by, action="role.end", subject=ra, from_value=old or "", to_value=end, comment=comment)
    return ra


@transaction.atomic
def office_join(
    *, by, user: User, office: OversightOffice, role: str, start: datetime.date, end: datetime.date | None = None
) -> OfficeMembership:
    existing = OfficeMembership.objects.filter(user=user, office=office, role=role, start=start).first()
    if existing:
        return existing
    m = OfficeMembership(user=user, office=office, role=role, start=start, end=end)
    m.full_clean(validate_constraints=False)
    m.save()
    audit_record(actor=by, action="office.join", subject=m, to_value=f"{office.code}:{role}:{start}")
    return m
