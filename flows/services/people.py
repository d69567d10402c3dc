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


def _clashes(new_roles: list[dict]) -> list[str]:
    """Single-holder roles (secretary, leader in charge) that would overlap, with the database or each other."""
    singles = [r for r in new_roles if r["role"] in SINGLE_HOLDER_ROLES]
    if not singles:
        return []
    org_ids = {r["organisation"].pk for r in singles}
    held = [
        {"user_id": ra.user_id, "org_id": ra.organisation_id, "role": ra.role, "start": ra.start, "end": ra.end}
        for ra in RoleAssignment.objects.select_for_update().filter(
            organisation_id__in=org_ids, role__in=SINGLE_HOLDER_ROLES
        )
    ]
    messages = []
    for r in singles:
        mine = {
            "user_id": r["user"].pk,
            "org_id": r["organisation"].pk,
            "role": r["role"],
            "start": r["start"],
            "end": r.get("end"),
        }
        for other in held:
            if (
                other["org_id"] != mine["org_id"]
                or other["role"] != mine["role"]
                or other["user_id"] == mine["user_id"]
            ):
                continue
            if (other["end"] is None or other["end"] >= mine["start"]) and (
                mine["end"] is None or other["start"] <= mine["end"]
            ):
                messages.append(
                    _("%(org)s already has a %(role)s in this period. End that role first.")
                    % {"org": r["organisation"].name, "role": Role(r["role"]).label}
                )
                break
        held.append(mine)
    return messages


@transaction.atomic
def roster_import(*, by, people: list[dict], roles: list[dict], role_ends: list[tuple] = ()) -> dict:
    """Add many people and roles at once (the Excel roster): the same rules as `role_assign`, checked for the whole
    batch, written in bulk with one audit row per person and per role. `people`: {"username", "real_name",
    "title"}; `roles`: {"user" (or "username"), "organisation", "role", "start", "end"}; `role_ends`:
    (assignment, end). Refuses the whole batch on any clash."""
    from django.contrib.auth.hashers import make_password

    from ..models import AuditEntry

    unusable = make_password(None)  # nobody logs in with an imported account until a password is set
    created_people = User.objects.bulk_create(
        [
            User(username=p["username"], real_name=p["real_name"], title=p.get("title", ""), password=unusable)
            for p in people
        ]
    )
    if people and created_people[0].pk is None:  # backends that do not return keys
        created_people = list(User.objects.filter(username__in=[p["username"] for p in people]))
    by_username = {u.username: u for u in created_people}
    for r in roles:
        if r.get("user") is None:
            r["user"] = by_username[r["username"]]
        if r.get("end") is not None and r["end"] < r["start"]:
            raise ValidationError({"end": _("The end date cannot be before the start date.")})
    for assignment, end in role_ends:
        if end is not None and end < assignment.start:
            raise ValidationError({"end": _("The end date cannot be before the start date.")})
    clashes = _clashes(roles)
    if clashes:
        raise ValidationError({"role": clashes[0]})
    created_roles = RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                user=r["user"], organisation=r["organisation"], role=r["role"], start=r["start"], end=r.get("end")
            )
            for r in roles
        ]
    )
    actor = by if getattr(by, "pk", None) else None
    audit = [
        AuditEntry(
            actor=actor, action="person.create", subject_type="flows.user", subject_id=str(u.pk), to_value=u.username
        )
        for u in created_people
    ]
    audit += [
        AuditEntry(
            actor=actor,
            action="role.assign",
            subject_type="flows.roleassignment",
            subject_id=str(ra.pk or ""),
            to_value=f"{ra.organisation.code}:{ra.role}:{ra.start}",
        )
        for ra in created_roles
    ]
    AuditEntry.objects.bulk_create(audit, batch_size=2000)
    for assignment, end in role_ends:
        role_end(by=by, assignment=assignment, end=end, comment=_("Excel roster"))
    return {"people": len(created_people), "roles": len(created_roles), "ended": len(role_ends)}
