"""Which written reports a user may download (a read for the report screens)."""

from flows import selectors
from flows.models import Assessment, Organisation, ReviewCycle, Role, RoleAssignment
from flows.models.organisations import subtree_q
from flows.policy import access
from flows.reports.annual import report_title


def _own_organisations(user) -> list[Organisation]:
    """Where the user is secretary or in direct charge today: the reports they sign."""
    ids = RoleAssignment.objects.current().filter(user=user, role__in=[Role.SECRETARY, Role.DEPUTY])
    return list(Organisation.objects.filter(pk__in=ids.values("organisation_id")).order_by("path"))


def report_targets(user, cycle=None) -> list[dict]:
    """The reports this user may download: (cycle, organisation, subtree?), their offices' scopes first."""
    out, seen = [], set()

    def add(c, org, subtree):
        key = (c.pk, org.pk, subtree)
        if key not in seen and access.can_download_annual_report(user, org, subtree=subtree):
            seen.add(key)
            out.append({"cycle": c, "organisation": org, "subtree": subtree, "title": report_title(org, c)})

    cycles = selectors.cycles_for(user).select_related("scope_root")
    if cycle is not None:
        cycles = cycles.filter(pk=cycle.pk)
    managed = [c for c in cycles if access.can_manage_cycle(user, c)]
    for c in managed:
        add(c, c.scope_root or c.office.scope, True)
    own = _own_organisations(user)
    singles = Assessment.objects.filter(organisation__in=own).select_related("cycle__office", "organisation")
    below = ReviewCycle.objects.select_related("office")
    if cycle is not None:
        singles, below = singles.filter(cycle=cycle), below.filter(pk=cycle.pk)
    for a in singles.order_by("-cycle__year", "organisation__path"):
        add(a.cycle, a.organisation, False)
    for org in own:  # a handful of roles: one query each for the cycles assessing what the organisation leads
        led = below.filter(subtree_q(org.path, include_self=False, prefix="assessments__organisation__"))
        for c in led.distinct().order_by("-year", "pk"):
            add(c, org, True)
    return out
