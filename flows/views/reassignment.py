"""转办 and reassignment: the holder of an open task, or the oversight office over it, passes it to someone the step's
rule allows. The form sits on every task screen (and on the office's list of stuck tasks)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from viewflow.workflow.models import Task

from flows.models import User
from flows.policy import access
from flows.selectors.holders import pass_on_choices as choices_for
from flows.selectors.holders import stalled_tasks
from flows.services.reassignment import task_pass_on
from flows.services.tasks import AlreadyHandled


def _human_task_or_404(pk):
    task = Task.objects.select_related("process", "owner").filter(pk=pk, flow_task_type="HUMAN").first()
    if task is None:
        raise Http404
    return task


def _same_site(request, url: str) -> str:
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) else ""


@login_required
@require_safe
def pass_on_choices(request, pk):
    """The 转办 form of a task: whom its holder (or an oversight officer over it) may pass it to. Read when the form
    is opened, not with every task screen; a task screen fetches it as a fragment (app.js), else it is a page."""
    task = _human_task_or_404(pk)
    choices = choices_for(request.user, task)
    if choices is None:
        raise Http404
    context = {"task": task, "choices": choices, "next": _same_site(request, request.GET.get("next", ""))}
    if request.headers.get("X-Requested-With") == "fetch":
        return render(request, "flows/tasks/_pass_on_form.html", context)
    return render(request, "flows/tasks/pass_on.html", context)


@login_required
@require_POST
def pass_on(request, pk):
    task = _human_task_or_404(pk)
    to_pk = request.POST.get("to", "")
    to = User.objects.filter(pk=int(to_pk), is_active=True).first() if to_pk.isdigit() and len(to_pk) < 10 else None
    back = _same_site(request, request.POST.get("next", ""))
    try:
        task_pass_on(by=request.user, task=task, to=to, reason=request.POST.get("reason", "")[:500])
    except PermissionDenied:
        raise Http404 from None
    except AlreadyHandled as exc:
        messages.error(request, str(exc))
        return redirect("home")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back or "home")
    messages.success(request, _("The task has been passed to %(person)s.") % {"person": to})
    return redirect("home" if task.owner_id == request.user.pk or not back else back)


@login_required
def stalled(request):
    """卡住的待办: the open tasks in the office's scope that nobody can act on (a vacant post, a holder who left), each
    with the people who may take it, to reassign in one click. For oversight officers."""
    if not access.offices_of(request.user):
        raise Http404
    rows = stalled_tasks(request.user, limit=200)
    return render(request, "flows/tasks/stalled.html", {"rows": rows})
