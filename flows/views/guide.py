"""操作指南: what each role does in the year, in which order, reachable from every page (the user's own roles
first)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from flows.models import InspectorSeat, RoleAssignment
from flows.policy import access

GUIDE_ROLES = ("direct_charge", "secretary", "reviewer", "office", "inspector", "member")


def _my_roles(user) -> list[str]:
    roles = set(RoleAssignment.objects.current().filter(user=user).values_list("role", flat=True))
    mine = []
    if roles & {"deputy"} or roles & {"secretary"}:
        mine.append("direct_charge")
    if "secretary" in roles:
        mine += ["secretary", "reviewer"]
    if access.offices_of(user):
        mine.append("office")
    if InspectorSeat.objects.filter(inspector=user).exists():
        mine.append("inspector")
    mine.append("member")
    return list(dict.fromkeys(mine))


@login_required
def guide(request):
    mine = _my_roles(request.user)
    order = mine + [r for r in GUIDE_ROLES if r not in mine]
    return render(request, "flows/guide.html", {"order": order, "mine": set(mine)})
