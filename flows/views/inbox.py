from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import selectors
from ..models import ReviewCycle
from ..services.tasks import tasks_claim


def _filters(request):
    cycle = request.GET.get("cycle", "")
    due = request.GET.get("due", "")
    return {
        "due": due if due in ("red", "yellow", "green") else "",
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


@login_required
@require_POST
def claim(request):
    """Claim the ticked tasks of the queue into my inbox."""
    ids = [int(v) for v in request.POST.getlist("task") if v.isdigit()]
    n = tasks_claim(by=request.user, task_ids=ids)
    messages.success(request, ngettext("%(n)s task claimed.", "%(n)s tasks claimed.", n) % {"n": n})
    return redirect("home")


@login_required
def inbox_live(request):
    """What an open page re-reads when its socket says the inbox changed: the current count."""
    from django.http import JsonResponse

    from ..context_processors import unread_notifications

    return JsonResponse(unread_notifications(request))
