"""Reads of contact points and visits: a leader's own, an organisation's, and the gaps in an office's scope (which
organisations have no contact leader and no visit this year), each in a constant number of queries."""

import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Value

from flows.models import LEADERSHIP_ROLES, Organisation, OversightOffice, RoleAssignment, User
from flows.models.contacts import ContactPoint, Visit, VisitProblem
from flows.models.organisations import subtree_q
from flows.policy import access
from flows.policy import contacts as policy


def _year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _visits_qs():
    return (
        Visit.objects.select_related("organisation", "recorded_by")
        .prefetch_related(
            "leaders",
            Prefetch("problems", queryset=VisitProblem.objects.select_related("item").order_by("order")),
        )
        .order_by("-date", "-pk")
    )


def my_contacts(user, year: int) -> dict:
    """A leader's page: their contact points of `year` with their visits there that year, and their visits."""
    first, last = _year_range(year)
    mine = Q(
        organisation__visits__leaders=user,
        organisation__visits__date__gte=first,
        organisation__visits__date__lte=last,
    )
    points = list(
        ContactPoint.objects.filter(leader=user, year=year)
        .select_related("organisation")
        .annotate(my_visits=Count("organisation__visits", filter=mine, distinct=True))
        .order_by("organisation__path")
    )
    visits = list(_visits_qs().filter(leaders=user, date__gte=first, date__lte=last)[:200])
    return {"points": points, "visits": visits}


def visitable_organisations(user):
    """The organisations `user` may visit (below those they lead), by path."""
    return Organisation.objects.filter(policy.visitable_q(user)).order_by("path")


def organisation_visits(org: Organisation, *, limit: int = 200) -> dict:
    """An organisation's visits (newest first) and its contact leaders by year."""
    points = list(ContactPoint.objects.filter(organisation=org).select_related("leader").order_by("-year", "pk"))
    return {"visits": list(_visits_qs().filter(organisation=org)[:limit]), "points": points}


def _scope_orgs(office: OversightOffice):
    """The organisations under the office's scope (the scope's own committee excluded: it leads the others)."""
    return Organisation.objects.filter(subtree_q(office.scope.path, include_self=False))


def _annotated(orgs, year: int):
    first, last = _year_range(year)
    return orgs.annotate(
        has_contact=Exists(ContactPoint.objects.filter(organisation=OuterRef("pk"), year=year)),
        visited=Exists(Visit.objects.filter(organisation=OuterRef("pk"), date__gte=first, date__lte=last)),
    )


def office_gaps(office: OversightOffice, year: int) -> dict:
    """The office's page: every organisation of its scope that has no contact leader for `year` or no visit in it,
    weak and lax ones first (one query)."""
    rows = list(
        _annotated(_scope_orgs(office), year)
        .filter(Q(has_contact=False) | Q(visited=False))
        .order_by("-weak_and_lax", "path")
        .only("pk", "code", "name", "short_name", "path", "depth", "weak_and_lax", "sector", "kind")
    )
    return {
        "no_contact": [o for o in rows if not o.has_contact],
        "no_visit": [o for o in rows if not o.visited],
    }


def _how_many(qs, field: str, *, distinct=True) -> Subquery:
    """A scalar subquery: how many (distinct) `field` values `qs` has."""
    return Subquery(qs.order_by().values(_all=Value(1)).annotate(n=Count(field, distinct=distinct)).values("n")[:1])


def gap_counts(office: OversightOffice, year: int) -> dict:
    """How many organisations of the office's scope have no contact leader / no visit in `year` (one query): the
    scope's organisations counted on the path index, less those with a contact point / a visit, read from those
    tables (not a look-up per organisation: the cycle dashboard shows this panel for a province's scope)."""
    first, last = _year_range(year)
    scope_org = Exists(_scope_orgs(office).filter(pk=OuterRef("organisation_id")))
    row = (
        Organisation.objects.filter(pk=office.scope_id)
        .annotate(
            total=_how_many(_scope_orgs(office), "pk", distinct=False),
            with_contact=_how_many(ContactPoint.objects.filter(scope_org, year=year), "organisation_id"),
            visited=_how_many(Visit.objects.filter(scope_org, date__gte=first, date__lte=last), "organisation_id"),
        )
        .values("total", "with_contact", "visited")
        .get()
    )
    total = row["total"] or 0
    return {
        "total": total,
        "no_contact": total - (row["with_contact"] or 0),
        "no_visit": total - (row["visited"] or 0),
    }


def dashboard_panel(user, cycle) -> dict | None:
    """The cycle dashboard's panel (templates/flows/contacts/_dashboard_panel.html): for the officers of the cycle's
    office, how many organisations of its scope have no contact leader and no visit in the cycle's year, with the
    links to the office's list; None for anyone else (the panel then shows nothing). Two queries."""
    if cycle.office_id not in access.offices_of(user):
        return None
    office = OversightOffice.objects.select_related("scope").get(pk=cycle.office_id)
    counts = gap_counts(office, cycle.year)
    return {"office": office, "year": cycle.year, **counts}


def colleagues(user):
    """The other current leaders of the teams `user` leads in: who may have come along on a visit."""
    teams = RoleAssignment.objects.current().filter(user=user, role__in=LEADERSHIP_ROLES).values("organisation_id")
    ids = (
        RoleAssignment.objects.current()
        .filter(organisation_id__in=teams, role__in=LEADERSHIP_ROLES)
        .exclude(user=user)
        .values("user_id")
    )
    return User.objects.filter(pk__in=ids, is_active=True).order_by("real_name", "pk")
