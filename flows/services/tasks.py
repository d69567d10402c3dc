"""Moving the flows from a service: starting one, completing the task that belongs to a domain step whichever door
the step came through, running a wait step.

Services name a node by its flow and name (`"AssessmentFlow.draft_self"`) and a flow by its name (the flows
register themselves in `flows.flow_registry`), so nothing below `flows.flows` imports it.

A screen hands in the activation viewflow prepared for it; the shell, an import or a timer do not, and
then the open task is looked up here, under the same flow lock, so every door moves the flow the same way.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flow_registry import flow_class

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class AlreadyHandled(Exception):
    """The task was completed (or the step taken) by someone else, or the page was stale."""

    def __init__(self, message=None):
        super().__init__(message or _("This step has already been handled. Nothing was changed."))


def flow_start(name: str, **kwargs):
    """Start the flow called `name`; `kwargs` go to its start handle (e.g. `item=...`)."""
    return flow_class(name).start.run(**kwargs)


def node(process, ref: str):
    """The node `ref` ("AssessmentFlow.draft_self") of `process`'s flow; a process of another flow is an error."""
    flow_name, _dot, name = ref.partition(".")
    cls = process.flow_class
    if cls.__name__ != flow_name:
        raise ValueError(f"{ref}: the process runs {cls.__name__}")
    return getattr(cls, name)


def open_task(process, ref: str):
    flow_task = node(process, ref)
    return Task.objects.filter(process=process, flow_task=flow_task, status__in=OPEN_STATUSES).order_by("-pk").first()


def task_complete(process, ref: str, *, by, activation=None, system=False):
    """Finish the task of node `ref` ("AssessmentFlow.draft_self") as `by` and let the flow create the next ones.
    `system`: completed on nobody's behalf (a deadline passed, a ballot closed); the task keeps no owner."""
    assert transaction.get_connection().in_atomic_block
    flow_task = node(process, ref)
    if activation is None:
        task = open_task(process, ref)
        if task is None:
            raise AlreadyHandled()
        activation = flow_task.activation_class(task)
        if task.status == STATUS.NEW and system:
            activation.assign(None)
        elif task.status == STATUS.NEW:
            if not flow_task.can_assign(by, task):
                raise AlreadyHandled(_("You are not the person this step is waiting for."))
            activation.assign(by)
        if activation.task.status == STATUS.ASSIGNED:
            activation.start(None)
    elif activation.task.owner_id is None:
        activation.task.owner = by
    activation.execute()
    return activation


def handle_run(process, ref: str):
    """Run a flow's wait step (a viewflow Handle, named like "AssessmentFlow.await_rectification") from code."""
    task = open_task(process, ref)
    if task is None:
        raise AlreadyHandled()
    return node(process, ref).run(task)


def tasks_claim(*, by, task_ids) -> int:
    """Take unassigned tasks into one's own inbox (a reviewer or officer claiming several at once).

    Each task is claimed under its own flow lock; one that someone else took meanwhile, or that this user
    may not take, is skipped. Returns how many were claimed."""
    from flows.selectors import task_subject
    from flows.services.audit import audit_record

    claimed = 0
    # a person's step (flow_task_type "HUMAN": a flows.nodes.Task), never a wait step
    unassigned = Task.objects.filter(status=STATUS.NEW, owner__isnull=True, flow_task_type="HUMAN")
    for task in unassigned.filter(pk__in=list(task_ids)[:500]):
        node = task.flow_task
        with node.flow_class.lock(task.process_id), transaction.atomic():
            fresh = Task.objects.select_for_update().get(pk=task.pk)
            if fresh.status != STATUS.NEW or fresh.owner_id or not node.can_assign(by, fresh):
                continue
            node.activation_class(fresh).assign(by)
            assessment, _item = task_subject(fresh)
            if assessment is not None:
                audit_record(actor=by, action="task.claim", subject=assessment, to_value=node.name)
            claimed += 1
    return claimed
