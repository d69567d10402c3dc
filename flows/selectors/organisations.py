"""Reads of the organisation tree and its people, in a fixed number of queries whatever the tree's size."""

from django.db.models import Count, Q, QuerySet

from flows.models import (
    Classification,
    Guidance,
    OfficeMembership,
    Organisation,
    Role,
    RoleAssignment,
    User,
)
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.policy import access
from flows.selectors import org_history

SEARCH_LIMIT = 50


def tree_roots(user) -> list[Organisation]:
    """The topmost organisations this user may see: the start of their tree view."""
    scope = access.scope_for(user)
    if scope.superuser:
        return list(Organisation.objects.filter(depth=1))
    paths = set(scope.view_paths)
    paths |= set(Organisation.objects.filter(pk__in=scope.own_ids | scope.guided_ids).values_list("path", flat=True))
    tops: list[str] = []
    for p in sorted(paths):
        if not tops or not p.startswith(tops[-1]):
            tops.append(p)
    return list(Organisation.objects.filter(path__in=tops).order_by("path"))


def tree_children(user, org: Organisation) -> list[Organisation]:
    """The organisations `org` leads that this user may see."""
    return list(
        access.visible_organisations(user)
        .filter(subtree_q(org.path, include_self=False), depth=org.depth + 1)
        .order_by("path")
    )


def organisation_search(user, *, text: str = "", sector: str = "") -> QuerySet:
    qs = access.visible_organisations(user)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code__iexact=text))
    if sector:
        qs = qs.filter(sector=sector)
    return qs.order_by("path")


def breadcrumbs(orgs) -> dict[int, list[Organisation]]:
    """Each organisation's leading chain, fetched in one query for the whole list."""
    orgs = list(orgs)
    wanted = {p for o in orgs for p in o.leading_paths()}
    by_path = {
        o.path: o for o in Organisation.objects.filter(path__in=wanted).only("pk", "path", "name", "code", "short_name")
    }
    return {o.pk: [by_path[p] for p in o.leading_paths() if p in by_path] for o in orgs}


def current_roles(org: Organisation):
    order = {Role.SECRETARY: 0, Role.DEPUTY: 1, Role.MEMBER: 2, Role.PARTY_MEMBER: 3}
    rows = list(RoleAssignment.objects.current().filter(organisation=org).select_related("user"))
    return sorted(rows, key=lambda r: (order[r.role], r.user.real_name))


def past_roles(org: Organisation):
    return list(
        RoleAssignment.objects.filter(organisation=org, end__lt=today()).select_related("user").order_by("-end")
    )


def organisation_page(user, org: Organisation) -> dict:
    guides = list(Organisation.objects.filter(guidance_given__organisation=org).order_by("path"))
    chain = list(org.leading_chain())
    for o in chain + guides:
        o.visible = access.can_view_organisation(user, o)  # names are shown; links only where the user may go
    guided = [
        o
        for o in Organisation.objects.filter(guidance_received__guide=org).order_by("path")
        if access.can_view_organisation(user, o)
    ]
    return {
        "org": org,
        "chain": chain,
        "guides": guides,
        "guided": guided,
        "children": tree_children(user, org),
        "subtree_size": org.subtree(include_self=False).count(),
        "roles": current_roles(org),
        "past_roles": past_roles(org),
        "reviewers": access.reviewers_of(org),
        "offices": list(org.oversight_offices.all()),
        "history": org_history.organisation_history(org),
        "weak_periods": org_history.weak_and_lax_periods(org),
        "may_oversee": access.can_oversee_organisation(user, org),
        **(staffing_choices(org) if access.can_oversee_organisation(user, org) else {}),
        "may_compare": access.can_view_year_over_year(user, org),
        "classifications": Classification.choices,
        "today": today(),
        "may_act": access.can_act_on_organisation(user, org),
        "may_comment": access.can_comment_on_organisation(user, org),
    }


def staffing_choices(org: Organisation) -> dict:
    """For the office's staffing forms: the posts that are vacant today, the posts that can be handed over, and the
    people to choose from (those with a role in the organisation or the one that leads it)."""
    current = list(
        RoleAssignment.objects.current()
        .filter(organisation=org, role__in=(Role.SECRETARY, Role.DEPUTY))
        .select_related("user")
    )
    held = {r.role for r in current}
    orgs = [org.pk] + ([org.leading.pk] if org.leading else [])
    ids = RoleAssignment.objects.current().filter(organisation_id__in=orgs).values("user_id")
    return {
        "vacant_posts": [
            (r, label) for r, label in Role.choices if r in (Role.SECRETARY, Role.DEPUTY) and r not in held
        ],
        "handover_posts": current,
        "staffing_people": list(User.objects.filter(pk__in=ids, is_active=True).order_by("real_name")),
    }


def person_page(user, person: User) -> dict:
    roles = list(RoleAssignment.objects.filter(user=person).select_related("organisation").order_by("-start"))
    visible_ids = set(
        access.visible_organisations(user)
        .filter(pk__in=[r.organisation_id for r in roles])
        .values_list("pk", flat=True)
    )
    return {
        "person": person,
        "roles": [r for r in roles if r.organisation_id in visible_ids],
        "offices": list(
            OfficeMembership.objects.filter(user=person).select_related("office", "office__scope").order_by("-start")
        ),
        "today": today(),
    }


def subtree_counts_by_sector(org: Organisation) -> list[dict]:
    return list(org.subtree().exclude(sector="").values("sector").annotate(n=Count("pk")).order_by("sector"))


def guidance_pairs() -> QuerySet:
    return Guidance.objects.select_related("organisation", "guide")
