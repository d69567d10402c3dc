"""The cycle dashboard: counts, charts and drill-down, updated live when assessments move."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render

from flows.models import Level, ReviewCycle, Sector, Stage
from flows.policy import access
from flows.selectors import contacts as contacts_selectors
from flows.selectors import dashboards


def _cycle_or_404(user, pk):
    cycle = ReviewCycle.objects.select_related("office").filter(pk=pk).first()
    if cycle is None or not access.can_view_cycle_dashboard(user, cycle):
        raise Http404
    return cycle


@login_required
def cycle_dashboard(request, pk):
    cycle = _cycle_or_404(request.user, pk)
    f = dashboards.Filters.from_query(request.GET, request.user)
    data = dashboards.cycle_dashboard(cycle, request.user, f, page=request.GET.get("page"))
    q = f.as_query(stage="", rag="")
    for row in data["sectors"]:
        row["href"] = f.as_query(sector=row["key"], stage="", rag="")
    for row in data["levels"]:
        row["href"] = f.as_query(level=row["key"], stage="", rag="")
    return render(
        request,
        "flows/dashboards/cycle.html",
        {
            "cycle": cycle,
            "f": f,
            "q": q,
            "q_amp": f"{q}&" if q else "",
            "q_drill": f.as_query(),  # the drill-down's pages keep its stage and 红黄绿
            "d": data,
            "chart_data": dashboards.dashboard_json(data),
            "sectors": Sector.choices,
            "levels": Level.choices,
            "stage_choices": Stage.choices,
            "may_manage": access.can_manage_cycle(request.user, cycle),
            # organisations without a contact leader / a visit this year (officers of the cycle's office only)
            "contacts_panel": contacts_selectors.dashboard_panel(request.user, cycle),
        },
    )


@login_required
def cycle_dashboard_json(request, pk):
    """The figures again, for the page to redraw when the websocket says the cycle moved."""
    cycle = _cycle_or_404(request.user, pk)
    f = dashboards.Filters.from_query(request.GET, request.user)
    return JsonResponse(dashboards.dashboard_json(dashboards.cycle_dashboard(cycle, request.user, f, lists=False)))
