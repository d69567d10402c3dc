from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import selectors
from ..models import ReviewCycle


def _filters(request):
    cycle = request.GET.get("cycle", "")
    return {
        "cycle": int(cycle) if cycle.isdigit() else None,
        "stage": request.GET.get("stage", "")[:40] if request.GET.get("stage", "").isidentifier() else "",
        "text": request.GET.get("q", "").strip()[:60],
    }


def _render(request, which, rows):
    filters = _filters(request)
    return render(
        request,
        "flows/tasks/list.html",
        {
            "which": which,
            "rows": rows,
            "filters": filters,
            "cycles": selectors.cycles_for(request.user) if ReviewCycle.objects.exists() else [],
        },
    )


@login_required
def inbox(request):
    """My tasks (我的待办): assigned to me and not done."""
    return _render(request, "inbox", selectors.inbox(request.user, **_filters(request)))


@login_required
def queue(request):
    """Tasks waiting for someone in my office or role to take them (待认领)."""
    return _render(request, "queue", selectors.queue(request.user, **_filters(request)))


@login_required
def archive(request):
    """Tasks I have done (已办)."""
    return _render(request, "archive", selectors.archive(request.user, **_filters(request)))
