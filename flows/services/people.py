"""State changes of people, their roles and office memberships."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from flows.models import OfficeMembership, Organisation, OversightOffice, Role, RoleAssignment, User
from flows.models.people import today
from flows.services.audit import audit_record

SINGLE_HOLDER_ROLES = (Role.SECRETARY, Role.DEPUTY)


def _overlapping(qs, start, end):
    q = Q(end__isnull=True) | Q(end__gte=start)
    if end is not None:
        q &= Q(start__lte=end)
    return qs.filter(q)


@transaction.atomic
def role_assign(
    *,
    by,
    user: User,
    organisation: Organisation,
    role: str,
    start: datetime.date,
    end: datetime.date | None = None,
    acting: bool = False,
    reason: str = "",
) -> RoleAssignment:
    """Give a person a role. An organisation has one secretary and one leader in charge at a time; an acting one
    (`acting`, with its `reason`) only while the post is vacant."""
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
            .exclude(user=user, acting=acting)
            .first()
        )
        if clash and acting:
            raise ValidationError(
                {
                    "role": _(
                        "%(person)s holds this post from %(start)s: an acting head is named only while it is vacant."
                    )
                    % {"person": clash.user, "start": clash.start}
                }
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
    ra = RoleAssignment(
        user=user, organisation=organisation, role=role, start=start, end=end, acting=acting, reason=reason.strip()
    )
    ra.full_clean(validate_constraints=False)
    ra.save()
    audit_record(
        actor=by,
        action="role.acting" if acting else "role.assign",
        subject=ra,
        to_value=f"{organisation.code}:{role}:{start}",
        comment=reason.strip(),
    )
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


STAFFING_LOOKBACK = datetime.timedelta(days=366)
REASON_MAX = 200


def _staffing_day(day: datetime.date, field: str) -> None:
    """A hand-over or an acting head is recorded on its day or afterwards, within a year: a date in the future would
    leave the post's work where it is and block the post until then; one more than a year back would rewrite
    who held it."""
    now = today()
    if not now - STAFFING_LOOKBACK <= day <= now:
        raise ValidationError(
            {
                field: _("Enter a date between %(first)s and today (%(today)s): record a change when it happens.")
                % {"first": (now - STAFFING_LOOKBACK).isoformat(), "today": now.isoformat()}
            }
        )


def _staffing_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {
                "reason": _("The reason may be %(max)s characters long; it has %(n)s.")
                % {"max": REASON_MAX, "n": len(reason)}
            }
        )
    return reason


@transaction.atomic
def acting_head_appoint(
    *, by, organisation: Organisation, user: User, role: str, start: datetime.date, end=None, reason: str
) -> RoleAssignment:
    """主持工作 / 代理: the oversight office over the organisation records who acts as its secretary (or person in
    direct charge) while the post is vacant. The policy treats them as the holder for those dates; the open work of
    the post goes to them."""
    from flows.policy import access
    from flows.services.reassignment import work_follows_holder

    if not access.can_oversee_organisation(by, organisation):
        raise PermissionDenied(_("Only the oversight office over the organisation records an acting head."))
    if role not in SINGLE_HOLDER_ROLES:
        raise ValidationError({"role": _("An acting head acts as secretary or as the person in direct charge.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason (for example: the secretary was transferred).")})
    reason = _staffing_reason(reason)
    _staffing_day(start, "start")
    ra = role_assign(
        by=by, user=user, organisation=organisation, role=role, start=start, end=end, acting=True, reason=reason
    )
    if start <= today():
        work_follows_holder(by=by, organisation=organisation, predecessor=None, successor=user, reason=reason.strip())
    return ra


@transaction.atomic
def role_handover(*, by, assignment: RoleAssignment, successor: User, on: datetime.date, reason: str = ""):
    """A hand-over: the present holder's role ends the day before `on`, the successor's starts on `on`, and the open
    work of the post (its tasks, the rectification items the predecessor owned) moves to the successor in the same
    transaction (audited, notified). Returns the successor's role."""
    from flows.services.reassignment import work_follows_holder

    reason = _staffing_reason(reason)
    _staffing_day(on, "on")
    ra = RoleAssignment.objects.select_for_update().select_related("organisation", "user").get(pk=assignment.pk)
    if on <= ra.start:
        raise ValidationError({"on": _("The hand-over must come after the present holder started.")})
    if successor.pk == ra.user_id:
        raise ValidationError({"successor": _("Choose the person who takes over.")})
    role_end(by=by, assignment=ra, end=on - datetime.timedelta(days=1), comment=reason)
    new = role_assign(by=by, user=successor, organisation=ra.organisation, role=ra.role, start=on)
    if on <= today():
        text = reason.strip() or _("Hand-over from %(person)s") % {"person": ra.user}
        work_follows_holder(by=by, organisation=ra.organisation, predecessor=ra.user, successor=successor, reason=text)
    return new


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
            "user_id": r["user_id"],
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


def _insert(model, fields: list[str], rows: list[tuple]) -> None:
    """Plain INSERTs for the roster: the ORM's bulk_create spends most of its time building SQL. SQLite takes an
    executemany; PostgreSQL a COPY (one stream rather than a round trip per row)."""
    from django.db import connection

    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sql = f"INSERT INTO {table} ({columns}) VALUES {one}"  # noqa: S608 - names from the model
            for i in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[i : i + 5000])
            return
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # psycopg 3, PostgreSQL
            for row in rows:
                copy.write_row(row)


def _chunks(values, size=5000):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


@transaction.atomic
def roster_import(*, by, people: list[dict], roles: list[dict], role_ends: list[tuple] = ()) -> dict:
    """Add many people and roles at once (the Excel roster): the same rules as `role_assign`, checked for the whole
    batch, written in bulk with one audit row per person and per role. `people`: {"username", "real_name",
    "title"}; `roles`: {"user" (or "username"), "organisation", "role", "start", "end"}; `role_ends`:
    (assignment, end). Refuses the whole batch on any clash."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from flows.audit import chain as audit_chain
    from flows.models import AuditEntry
    from flows.models.audit import link as link_audit_rows

    for r in roles:
        if r.get("end") is not None and r["end"] < r["start"]:
            raise ValidationError({"end": _("The end date cannot be before the start date.")})
    for assignment, end in role_ends:
        if end is not None and end < assignment.start:
            raise ValidationError({"end": _("The end date cannot be before the start date.")})
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    unusable = make_password(None)  # nobody logs in with an imported account until a password is set
    _insert(
        User,
        [
            "username",
            "real_name",
            "title",
            "password",
            "is_superuser",
            "is_staff",
            "is_active",
            "first_name",
            "last_name",
            "email",
            "date_joined",
        ],
        [
            (p["username"], p["real_name"], p.get("title", ""), unusable, False, False, True, "", "", "", stamp)
            for p in people
        ],
    )
    user_ids = {}
    for chunk in _chunks(p["username"] for p in people):
        user_ids.update(dict(User.objects.filter(username__in=chunk).values_list("username", "pk")))
    for r in roles:
        r["user_id"] = r["user"].pk if r.get("user") is not None else user_ids[r["username"]]
    clashes = _clashes(roles)
    if clashes:
        raise ValidationError({"role": clashes[0]})
    _insert(
        RoleAssignment,
        ["user", "organisation", "role", "start", "end", "acting", "reason"],
        [(r["user_id"], r["organisation"].pk, r["role"], r["start"], r.get("end"), False, "") for r in roles],
    )
    wanted = {(r["user_id"], r["organisation"].pk, r["role"], r["start"]): r for r in roles}
    role_ids = {}
    for chunk in _chunks({r["user_id"] for r in roles}):
        for pk, *key in RoleAssignment.objects.filter(user_id__in=chunk).values_list(
            "pk", "user_id", "organisation_id", "role", "start"
        ):
            if tuple(key) in wanted:
                role_ids[tuple(key)] = pk
    actor = by.pk if getattr(by, "pk", None) else None
    audit = [
        (now, actor, "person.create", "flows.user", str(user_ids[p["username"]]), "", p["username"], "") for p in people
    ]
    audit += [
        (
            now,
            actor,
            "role.assign",
            "flows.roleassignment",
            str(role_ids[key]),
            "",
            f"{r['organisation'].code}:{r['role']}:{r['start']}",
            "",
        )
        for key, r in wanted.items()
    ]
    # chained after taking the head (hashed over `now`, stored as the database's form of it)
    _insert(
        AuditEntry,
        [*audit_chain.FIELDS, "seq", "prev_hash", "hash"],
        [(stamp, *row[1:]) for row in link_audit_rows(audit)],
    )
    for assignment, end in role_ends:
        role_end(by=by, assignment=assignment, end=end, comment=_("Excel roster"))
    return {"people": len(people), "roles": len(roles), "ended": len(role_ends)}


@transaction.atomic
def people_retitle(*, by, titles: list[tuple]) -> int:
    """New job titles (职务) for people who exist, e.g. from the Excel roster: (person, title) pairs, one audit row
    per person whose title changes. Returns how many changed."""
    limit = User._meta.get_field("title").max_length
    changed = 0
    for person, title in titles:
        title = " ".join((title or "").split())
        if len(title) > limit:
            raise ValidationError({"title": _("At most %(n)s characters.") % {"n": limit}})
        locked = User.objects.select_for_update().get(pk=person.pk)
        if locked.title == title:
            continue
        before, locked.title = locked.title, title
        locked.save(update_fields=["title"])
        audit_record(actor=by, action="person.title", subject=locked, from_value=before, to_value=title)
        changed += 1
    return changed
