"""Opening and completing tasks: the wrapper around every task screen, and the inbox, queue and archive."""

from functools import update_wrapper

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from flows.selectors.tasks import task_locked, task_of_process, was_told_of
from flows.services.tasks import OPEN_STATUSES, AlreadyHandled


def already_handled(request, task, message=None):
    return render(
        request,
        "flows/tasks/already_handled.html",
        {"task": task, "message": message or _("This step has already been handled. Nothing was changed.")},
        status=409,
    )


def task_view(node, view):
    """Wrap a task screen: only an eligible user sees it (others get a 404); a POST runs under the flow lock,
    takes an unassigned task for the user, and a task that moved on meanwhile gets a clear "already handled"."""

    @login_required
    def wrapped(request, process_pk, task_pk, **kwargs):
        task = task_of_process(int(task_pk), int(process_pk))
        if task is None or task.flow_task != node:
            raise Http404
        if task.status not in OPEN_STATUSES:
            if (
                task.owner_id == request.user.pk
                or node.is_eligible(request.user, task)
                or _was_eligible(node, request.user, task)
            ):
                return already_handled(request, task)
            raise Http404
        if not node.is_eligible(request.user, task):
            if task.owner_id and was_told_of(request.user, request.path):
                # a 新待办 notification of a task passed on since: where it went, instead of a bare 404
                who = task.owner.real_name or task.owner.username
                return already_handled(
                    request,
                    task,
                    _("This task has been passed on to %(person)s; it is no longer yours.") % {"person": who},
                )
            raise Http404
        request.activation = node.activation_class(task)
        request.task = task
        if request.method != "POST":
            return view(request, process_pk=process_pk, task_pk=task_pk, **kwargs)
        try:
            with node.flow_class.lock(process_pk), transaction.atomic():
                fresh = task_locked(task.pk)
                if fresh is None or fresh.status not in OPEN_STATUSES:
                    raise AlreadyHandled()
                if fresh.owner_id and fresh.owner_id != request.user.pk:
                    raise AlreadyHandled()
                activation = node.activation_class(fresh)
                if fresh.status == STATUS.NEW:
                    activation.assign(request.user)
                if activation.task.status == STATUS.ASSIGNED:
                    activation.start(request)
                request.activation, request.task = activation, activation.task
                return view(request, process_pk=process_pk, task_pk=task_pk, **kwargs)
        except (AlreadyHandled, TransitionNotAllowed, ConcurrentTransition, FlowLockFailed) as exc:
            message = str(exc) if isinstance(exc, AlreadyHandled) else None
            return already_handled(request, task, message)

    update_wrapper(wrapped, view)
    return wrapped


def _was_eligible(node, user, task):
    """A finished task may be looked at by whoever could have taken it (to see that it is done)."""
    try:
        return node.may_take_step(user, task)
    except Exception:  # noqa: BLE001 - the related objects of an old task may be gone
        return False
