from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from flows import selectors
from flows.selectors.inbox import Cursor, Filters, my_tasks_page
from flows.services.tasks import tasks_claim


def _filters(request):
    cycle = request.GET.get("cycle", "")
    due = request.GET.get("due", "")
    return {
        "due": due if due in ("red", "yellow", "green") else "",
        "cycle": int(cycle) if cycle.isdigit() and len(cycle) < 10 else None,
        "stage": request.GET.get("stage", "")[:40] if request.GET.get("stage", "").isidentifier() else "",
        "text": request.GET.get("q", "").strip()[:60],
    }


def _render(request, which, rows, **page):
    context = {
        # read many times by the header: the user and the CSRF token as themselves, not through the lazy objects of
        # the context processors (every use of which goes through a proxy); the same values
        "user": getattr(request, "_cached_user", request.user),
        "csrf_token": get_token(request),
        "which": which,
        "rows": rows,
        "total": len(rows),
        "filters": _filters(request),  # the step filter's options: {% step_options %}
        **page,
    }
    if "cycles" not in context:
        context["cycles"] = selectors.cycle_choices(request.user)
    return render(request, "flows/tasks/list.html", context)


@login_required
def inbox(request):
    """My tasks (我的待办): assigned to me and not done, a page at a time (`after` is where the page starts)."""
    page = my_tasks_page(
        request.user, filters=Filters(**_filters(request)), after=Cursor.parse(request.GET.get("after", ""))
    )
    query = request.GET.copy()
    query.pop("after", None)
    # the page's one statement also brought the cycles its filter offers and the menu's answers
    return _render(request, "inbox", page.pop("rows"), query=query.urlencode(), paged="after" in request.GET, **page)


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
    """What an open page re-reads when its socket says the inbox changed (and once a minute): my open tasks and
    the tasks waiting in 待认领 that I may take. The pool's count is read here, never while a page is drawn."""
    from django.http import JsonResponse

    from flows.selectors.header import header_counts

    return JsonResponse(header_counts(request.user) | {"to_claim": len(selectors.queue(request.user))})
