"""The one access policy: may this user see, comment on or act on this organisation or person?

Every view asks here and nowhere else. What a user may reach follows from their current roles
in the organisation tree:

* a role of any kind in an organisation: see that organisation;
* a leadership role (secretary, leader in charge, leadership member): see and act on the
  organisation and the whole subtree it leads (一级抓一级);
* a leadership role in a guiding organisation (指导): see and comment on the organisations it
  guides, never act on them;
* oversight office membership: officers see and act on the office's scope subtree; inspectors
  see it (their inspection tasks are granted task by task);
* superusers: everything.

A refusal is a 404 so that nobody learns whether an organisation or person exists.
"""

import contextlib
import contextvars
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from flows.models import (
    LEADERSHIP_ROLES,
    Guidance,
    OfficeMembership,
    OfficeRole,
    Organisation,
    Role,
    RoleAssignment,
    User,
)
from flows.models.compiled import CompiledQuery
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.models.state_groups import Phase, phase_of


@dataclass(frozen=True)
class Scope:
    superuser: bool
    own_ids: frozenset
    led_paths: tuple
    guided_ids: frozenset
    officer_paths: tuple
    inspector_paths: tuple

    @property
    def view_paths(self):
        return self.led_paths + self.officer_paths + self.inspector_paths

    @property
    def act_paths(self):
        return self.led_paths + self.officer_paths

    @property
    def is_empty(self):
        return not (self.superuser or self.own_ids or self.view_paths or self.guided_ids)


EMPTY = Scope(False, frozenset(), (), frozenset(), (), ())


def _minimal(paths) -> tuple:
    """Drop paths already covered by a shorter one, so queries stay small."""
    kept: list[str] = []
    for p in sorted(set(paths), key=lambda p: (len(p), p)):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(sorted(kept))


def scope_for(user, on: datetime.date | None = None) -> Scope:
    """The user's reach today (or on `on`); cached on the user object for one request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY
    cache_key = f"_access_scope_{on or ''}"
    cached = getattr(user, cache_key, None)
    if cached is None:
        cached = scopes_for([user], on)[user.pk]
    return cached


def _held_roles(day, **who):
    return (
        RoleAssignment.objects.current(day)
        .filter(**who)
        .values_list("user_id", "organisation_id", "organisation__path", "role")
    )


def _memberships(day, **who):
    return OfficeMembership.objects.current(day).filter(**who).values_list("user_id", "role", "office__scope__path")


def _guided(day, **who):
    """(guiding organisation, guided organisation) for the organisations the people lead on that day."""
    led = RoleAssignment.objects.current(day).filter(role__in=LEADERSHIP_ROLES, **who).values("organisation_id")
    return Guidance.objects.filter(guide_id__in=led).values_list("guide_id", "organisation_id")


# one person's three (most requests ask about their own user), compiled once per process: building these queries
# cost the ORM some fifty times as much as running them
_ONES_ROLES, _ONES_MEMBERSHIPS, _ONES_GUIDED = (
    CompiledQuery(lambda user_id, day, rows=rows: rows(day, user_id=user_id), user_id=int, day=datetime.date)
    for rows in (_held_roles, _memberships, _guided)
)


def scopes_for(users, on: datetime.date | None = None) -> dict[int, Scope]:
    """{user id: reach} of many users in three queries, each kept on its user object as `scope_for` keeps it (for a
    pass that asks about many people, such as whom a task may be passed on to)."""
    users = [u for u in users if u is not None and u.is_authenticated and u.is_active]
    ids = [u.pk for u in users]
    day = on or today()
    if len(ids) == 1:
        role_rows = _ONES_ROLES(user_id=ids[0], day=day)
        membership_rows = _ONES_MEMBERSHIPS(user_id=ids[0], day=day)
    else:
        role_rows, membership_rows = _held_roles(day, user_id__in=ids), _memberships(day, user_id__in=ids)
    roles = defaultdict(list)
    for uid, oid, path, role in role_rows:
        roles[uid].append((oid, path, role))
    offices = defaultdict(list)
    for uid, role, path in membership_rows:
        offices[uid].append((role, path))
    guided = defaultdict(set)
    if any(role in LEADERSHIP_ROLES for held in roles.values() for _oid, _p, role in held):
        rows = _ONES_GUIDED(user_id=ids[0], day=day) if len(ids) == 1 else _guided(day, user_id__in=ids)
        for guide_id, org_id in rows:
            guided[guide_id].add(org_id)
    scopes = {}
    for user in users:
        held, memberships = roles[user.pk], offices[user.pk]
        scope = Scope(
            superuser=user.is_superuser,
            own_ids=frozenset(oid for oid, _p, _r in held),
            led_paths=_minimal(p for _oid, p, role in held if role in LEADERSHIP_ROLES),
            guided_ids=frozenset(o for oid, _p, role in held if role in LEADERSHIP_ROLES for o in guided[oid]),
            officer_paths=_minimal(p for role, p in memberships if role == OfficeRole.OFFICER),
            inspector_paths=_minimal(p for role, p in memberships if role == OfficeRole.INSPECTOR),
        )
        setattr(user, f"_access_scope_{on or ''}", scope)
        scopes[user.pk] = scope
    return scopes


def _paths_q(paths, prefix="") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q(p, prefix=prefix)
    return q


def _within(path: str, paths) -> bool:
    return any(path.startswith(p) for p in paths)


# ---- organisations -------------------------------------------------------------------------------


def visible_organisations(user) -> QuerySet:
    scope = scope_for(user)
    qs = Organisation.objects.all()
    if scope.superuser:
        return qs
    if scope.is_empty:
        return qs.none()
    return qs.filter(_paths_q(scope.view_paths) | Q(pk__in=scope.own_ids | scope.guided_ids))


def can_view_organisation(user, org: Organisation) -> bool:
    scope = scope_for(user)
    return (
        scope.superuser or org.pk in scope.own_ids or org.pk in scope.guided_ids or _within(org.path, scope.view_paths)
    )


def can_comment_on_organisation(user, org: Organisation) -> bool:
    """Guiding organisations' leaders may add comments; so may anyone who may act."""
    scope = scope_for(user)
    return org.pk in scope.guided_ids or can_act_on_organisation(user, org)


def can_act_on_organisation(user, org: Organisation) -> bool:
    scope = scope_for(user)
    return scope.superuser or _within(org.path, scope.act_paths)


def can_oversee_organisation(user, org: Organisation) -> bool:
    """Oversight-office work (launch cycles, approve outcomes) over this organisation."""
    scope = scope_for(user)
    return scope.superuser or _within(org.path, scope.officer_paths)


def organisation_or_404(user, **lookup) -> Organisation:
    """The organisation if this user may see it; otherwise the same 404 as for one that does not exist."""
    org = Organisation.objects.filter(**lookup).first()
    if org is None or not can_view_organisation(user, org):
        raise Http404
    return org


# ---- people --------------------------------------------------------------------------------------


def visible_people(user) -> QuerySet:
    """People holding a role (now or in the past) in an organisation the user may see, and themselves."""
    scope = scope_for(user)
    qs = User.objects.filter(is_active=True)
    if scope.superuser:
        return qs
    if scope.is_empty:
        return qs.filter(pk=user.pk) if user.is_authenticated else qs.none()
    role_q = _paths_q(scope.view_paths, prefix="roles__organisation__") | Q(
        roles__organisation_id__in=scope.own_ids | scope.guided_ids
    )
    office_q = _paths_q(scope.officer_paths + scope.inspector_paths, prefix="offices__office__scope__")
    person_ids = qs.filter(role_q | office_q | Q(pk=user.pk)).values("pk")
    return qs.filter(pk__in=person_ids)


def can_view_person(user, person: User) -> bool:
    if user.is_authenticated and person.pk == user.pk:
        return True
    return visible_people(user).filter(pk=person.pk).exists()


def person_or_404(user, **lookup) -> User:
    person = User.objects.filter(is_active=True, **lookup).first()
    if person is None or not can_view_person(user, person):
        raise Http404
    return person


# ---- responsibilities in the review cycle ------------------------------------------------------------

_ORG_FACTS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("access_org_facts", default=None)


@contextlib.contextmanager
def asking_many_people():
    """Inside, the answers about an organisation that do not depend on who asks (who holds which of its roles today,
    who is in direct charge, who reviews it) are read once and kept: for a read-only pass that asks the same rule
    for many people about one organisation, such as whom a task may be passed on to. Nothing is kept after it."""
    token = _ORG_FACTS.set({})
    try:
        yield
    finally:
        _ORG_FACTS.reset(token)


def _org_fact(name: str, org: Organisation, read):
    facts = _ORG_FACTS.get()
    if facts is None:
        return read()
    key = (name, org.pk)
    if key not in facts:
        facts[key] = read()
    return facts[key]


def _role_holders(org: Organisation) -> frozenset:
    """(user id, role) of everyone holding a role in `org` today."""
    return _org_fact(
        "holders",
        org,
        lambda: frozenset(RoleAssignment.objects.current().filter(organisation=org).values_list("user_id", "role")),
    )


# whether a person holds a role in an organisation today (compiled once per process)
_HOLDS = CompiledQuery(
    lambda user_id, org_id, role, day: (
        RoleAssignment.objects.current(day)
        .filter(user_id=user_id, organisation_id=org_id, role=role)
        .order_by()
        .values_list("pk")[:1]
    ),
    user_id=int,
    org_id=int,
    role=str,
    day=datetime.date,
)


def _holds(user, org, role) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if _ORG_FACTS.get() is not None:
        return (user.pk, role) in _role_holders(org)
    return bool(_HOLDS(user_id=user.pk, org_id=getattr(org, "pk", org), role=str(role), day=today()))


def is_secretary(user, org: Organisation) -> bool:
    """书记 · 第一责任人 of `org` today."""
    return _holds(user, org, Role.SECRETARY)


def _in_direct_charge(on, **which):
    return (
        RoleAssignment.objects.current(on)
        .filter(role__in=(Role.DEPUTY, Role.SECRETARY), **which)
        .order_by("organisation_id", "start")
        .values_list("organisation_id", "role", "user_id")
    )


_ONES_IN_DIRECT_CHARGE = CompiledQuery(
    lambda org_id, day: _in_direct_charge(day, organisation_id=org_id), org_id=int, day=datetime.date
)


def in_direct_charge_ids(org_ids, on: datetime.date | None = None) -> dict[int, int]:
    """{organisation id: user id} of the person in direct charge (分管领导 · 直接责任人) of each organisation: the
    leader in charge where there is one, otherwise the secretary, who then holds both duties (a branch of fewer
    than seven full members elects only a secretary: 支部工作条例). An acting holder counts for their dates. The
    one rule for assignment (one organisation or a whole launch), eligibility and the step service."""
    holders: dict[int, int] = {}
    org_ids = list(org_ids)
    if len(org_ids) == 1:  # one organisation's (a step, a screen): compiled once
        rows = _ONES_IN_DIRECT_CHARGE(org_id=org_ids[0], day=on or today())
    else:
        rows = _in_direct_charge(on, organisation_id__in=org_ids)
    for org_id, role, user_id in rows:
        if role == Role.DEPUTY or org_id not in holders:
            holders[org_id] = user_id
    return holders


def person_in_direct_charge(org: Organisation, on: datetime.date | None = None) -> User | None:
    user_id = in_direct_charge_ids([org.pk], on).get(org.pk)
    return User.objects.filter(pk=user_id).first() if user_id else None


def is_in_direct_charge(user, org: Organisation) -> bool:
    """分管领导 · 直接责任人 of `org` today (the secretary where there is no leader in charge)."""
    if user is None or not user.is_authenticated:
        return False
    return _org_fact("in_direct_charge", org, lambda: in_direct_charge_ids([org.pk]).get(org.pk)) == user.pk


def is_leadership_member(user, org: Organisation) -> bool:
    if not user.is_authenticated:
        return False
    if _ORG_FACTS.get() is not None:
        return any((user.pk, role) in _role_holders(org) for role in LEADERSHIP_ROLES)
    return RoleAssignment.objects.current().filter(user=user, organisation=org, role__in=LEADERSHIP_ROLES).exists()


def reviewers_of(org: Organisation) -> list[User]:
    """Who reviews `org`: its leading organisation's review office officers, else that organisation's secretary."""
    leading = org.leading
    if leading is None:
        return []
    if leading.review_office_id:
        ids = OfficeMembership.objects.current().filter(office_id=leading.review_office_id, role=OfficeRole.OFFICER)
        return list(User.objects.filter(pk__in=ids.values("user_id")).order_by("real_name"))
    ids = RoleAssignment.objects.current().filter(organisation=leading, role=Role.SECRETARY)
    return list(User.objects.filter(pk__in=ids.values("user_id")))


def is_reviewer(user, org: Organisation) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.pk in _org_fact("reviewers", org, lambda: frozenset(u.pk for u in reviewers_of(org)))


def guide_leaders(org: Organisation) -> list[User]:
    """Leaders of the organisations that guide `org`: they may comment, never decide."""
    guide_ids = Guidance.objects.filter(organisation=org).values("guide_id")
    ids = RoleAssignment.objects.current().filter(organisation_id__in=guide_ids, role__in=LEADERSHIP_ROLES)
    return list(User.objects.filter(pk__in=ids.values("user_id")))


def offices_of(user) -> set:
    """The oversight offices this user is a current officer of (every office for a superuser)."""
    if user is None or not user.is_authenticated:
        return set()
    if user.is_superuser:
        from flows.models import OversightOffice

        return set(OversightOffice.objects.values_list("pk", flat=True))
    return set(
        OfficeMembership.objects.current()
        .filter(user=user, role=OfficeRole.OFFICER)
        .values_list("office_id", flat=True)
    )


def can_manage_cycle(user, cycle) -> bool:
    """Officers of the cycle's own oversight office run it."""
    return cycle.office_id in offices_of(user)


def can_run_meeting(user, meeting) -> bool:
    """Officers of the office of the level holding a report-and-review meeting run it."""
    return meeting.office_id in offices_of(user)


def may_see_meeting(user, meeting) -> bool:
    """Who sees a report-and-review meeting: its office's officers and the officers over the holding level, the
    leaders of the holding level (or above it), and the meeting's reporters and commenting leaders."""
    if user is None or not user.is_authenticated:
        return False
    if can_run_meeting(user, meeting) or can_act_on_organisation(user, meeting.holder):
        return True  # its office, the officers over the holding level and the leaders of it or above it
    return meeting.reporters.filter(Q(person=user) | Q(commenter=user)).exists()


def can_run_campaign(user, campaign) -> bool:
    """Officers of the campaign's oversight office open, close and issue codes for it."""
    return campaign.office_id in offices_of(user)


# ---- spot checks ------------------------------------------------------------------------------------------


def inspector_offices_of(user) -> set:
    if user is None or not user.is_authenticated:
        return set()
    return set(
        OfficeMembership.objects.current()
        .filter(user=user, role=OfficeRole.INSPECTOR)
        .values_list("office_id", flat=True)
    )


def can_run_spot_check(user, plan) -> bool:
    """Officers of the plan's oversight office create, freeze, draw and decide."""
    return plan.office_id in offices_of(user)


def can_view_spot_check(user, plan) -> bool:
    """The office's officers, and the inspectors the plan drew, see the plan, its certificate and its results."""
    if can_run_spot_check(user, plan):
        return True
    return user.is_authenticated and plan.inspections.filter(seats__inspector=user).exists()


def can_view_inspection(user, inspection) -> bool:
    """The office's officers and the assigned inspectors; once decided, the organisation's leaders and those
    who lead it, who must act on its findings."""
    if can_run_spot_check(user, inspection.plan):
        return True
    if user.is_authenticated and inspection.seats.filter(inspector=user).exists():
        return True
    done = phase_of(inspection, inspection.state) == Phase.DONE
    return done and can_act_on_organisation(user, inspection.organisation)


# ---- dashboards ---------------------------------------------------------------------------------------------


def can_view_cycle_dashboard(user, cycle) -> bool:
    """The cycle's office (officers and inspectors), and leaders who review organisations the cycle assesses:
    they see the figures of the organisations they may see."""
    scope = scope_for(user)
    if scope.superuser:
        return True
    if OfficeMembership.objects.current().filter(user=user, office_id=cycle.office_id).exists():
        return True
    if not scope.led_paths:
        return False
    return cycle.assessments.filter(_paths_q(scope.led_paths, prefix="organisation__")).exists()


def overseen_organisations(user) -> QuerySet:
    """The organisations this user oversees as an officer (the Excel roster and imports reach this far)."""
    scope = scope_for(user)
    qs = Organisation.objects.all()
    if scope.superuser:
        return qs
    if not scope.officer_paths:
        return qs.none()
    return qs.filter(_paths_q(scope.officer_paths))


# ---- year over year -------------------------------------------------------------------------------------------


def can_view_year_over_year(user, org: Organisation) -> bool:
    """Year over year of the organisations under `org`: the oversight officers whose scope holds it, and the
    leaders of an organisation that leads others (its reviewers), for what they lead."""
    scope = scope_for(user)
    if scope.superuser or _within(org.path, scope.officer_paths):
        return True
    return org.numchild > 0 and _within(org.path, scope.led_paths)


def year_over_year_roots(user) -> list[Organisation]:
    """The topmost organisations whose subtrees this user may compare year over year (empty: no such page)."""
    scope = scope_for(user)
    if scope.superuser:
        return list(Organisation.objects.filter(depth=1))
    paths = _minimal(scope.officer_paths + scope.led_paths)
    if not paths:
        return []
    return [
        o
        for o in Organisation.objects.filter(path__in=paths).order_by("path")
        if _within(o.path, scope.officer_paths) or o.numchild > 0
    ]


def may_see_year_over_year(user) -> bool:
    """Whether year over year has anything for this user, i.e. `bool(year_over_year_roots(user))`: an officer of
    any office, or a current leader of an organisation that leads others. The menu asks on every page, so this is
    one small SQL statement; built through the ORM (two EXISTS) it cost a millisecond to compile, twenty times
    what it takes to run. Tested against `year_over_year_roots`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return Organisation.objects.filter(depth=1).exists()
    q = connection.ops.quote_name
    table = {m: q(m._meta.db_table) for m in (OfficeMembership, RoleAssignment, Organisation)}
    current = f"x.start <= %s AND (x.{q('end')} IS NULL OR x.{q('end')} >= %s)"
    leads = ", ".join(["%s"] * len(LEADERSHIP_ROLES))
    # table names from _meta and fixed fragments; every value is a parameter
    officer = (
        f"SELECT 1 FROM {table[OfficeMembership]} x "  # noqa: S608
        f"WHERE x.user_id = %s AND x.role = %s AND {current}"
    )
    leader = (
        f"SELECT 1 FROM {table[RoleAssignment]} x JOIN {table[Organisation]} o "  # noqa: S608
        f"ON o.id = x.organisation_id WHERE x.user_id = %s AND x.role IN ({leads}) AND o.numchild > 0 AND {current}"
    )
    sql = f"SELECT EXISTS({officer}) OR EXISTS({leader})"
    on = connection.ops.adapt_datefield_value(today())
    with connection.cursor() as cur:
        cur.execute(sql, [user.pk, OfficeRole.OFFICER, on, on, user.pk, *LEADERSHIP_ROLES, on, on])
        return bool(cur.fetchone()[0])


# ---- the annual written report (书面报告) ----------------------------------------------------------------------


def can_download_annual_report(user, org: Organisation, *, subtree: bool = False) -> bool:
    """One organisation's report: its own secretary and person in direct charge, the reviewers of its leading
    organisation, oversight officers whose scope covers it, superusers. A subtree report (everything the
    organisation leads) only for those who oversee the whole subtree: officers whose scope covers it, and the
    organisation's own secretary and person in direct charge, who lead it and sign the report."""
    if user is None or not user.is_authenticated:
        return False
    if can_oversee_organisation(user, org):
        return True
    own = (
        RoleAssignment.objects.current()
        .filter(user=user, organisation=org, role__in=[Role.SECRETARY, Role.DEPUTY])
        .exists()
    )
    if own:
        return True
    return not subtree and is_reviewer(user, org)
