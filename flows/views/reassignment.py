"""转办 and reassignment: the holder of an open task, or the oversight office over it, passes it to someone the step's
rule allows. The form sits on every task screen (and on the office's list of stuck tasks)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from flows.models import User
from flows.policy import access
from flows.selectors.holders import stalled_tasks
from flows.services.reassignment import task_pass_on
from flows.services.tasks import AlreadyHandled


@login_required
@require_POST
def pass_on(request, pk):
    task = Task.objects.select_related("process", "owner").filter(pk=pk, flow_task_type="HUMAN").first()
    if task is None:
        raise Http404
    to_pk = request.POST.get("to", "")
    to = User.objects.filter(pk=int(to_pk), is_active=True).first() if to_pk.isdigit() and len(to_pk) < 10 else None
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
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
