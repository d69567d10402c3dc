"""Viewflow nodes as this project uses them.

Viewflow's own screens (task detail, assign, undo, cancel…) belong to its material frontend and its
model-permission checks; we serve our own screens that ask the access policy instead, so every node
here switches those screens off. A human step is a `Task`: its execute URL is wrapped by
`views.tasks.task_view`, which applies `Eligible` (who may open or take the task), the flow lock, and
turns a task that moved on meanwhile into a clear "already handled" page.
"""

from django.urls import path
from viewflow.utils import is_owner
from viewflow.workflow import flow

from flows.policy import steps
from flows.selectors.tasks import process_subject


class NoViewflowScreens:
    index_view_class = None
    detail_view_class = None
    cancel_view_class = None
    undo_view_class = None
    revive_view_class = None


class StartHandle(NoViewflowScreens, flow.StartHandle):
    pass


class If(NoViewflowScreens, flow.If):
    pass


class Switch(NoViewflowScreens, flow.Switch):
    pass


class Handle(NoViewflowScreens, flow.Handle):
    pass


class End(NoViewflowScreens, flow.End):
    pass


class Task(NoViewflowScreens, flow.View):
    """A human step: assigned to one person, or offered to everyone eligible until one takes it."""

    assign_view_class = None
    unassign_view_class = None

    def __init__(self, view, **kwargs):
        super().__init__(view, **kwargs)
        self.step = None

    def Step(self, name: str):  # noqa: N802 (viewflow's builder style)
        """The step this task takes, by its name in the permission table (`flows.policy.steps`): who may take the
        task when it is unassigned, and open it."""
        self.step = name
        return self

    def subject(self, task):
        """The domain object the step is taken on (`process.<flow's subject>`, read once with what it points to)."""
        return process_subject(task.process, self.flow_class.subject)

    def is_eligible(self, user, task) -> bool:
        if user is None or not user.is_authenticated:
            return False
        if task.owner_id:
            return is_owner(task.owner, user)
        return self.may_take_step(user, task)

    def may_take_step(self, user, task) -> bool:
        """Whether the step's rule allows `user` on this task's subject, whoever holds the task (a finished one too)."""
        return self.step is not None and steps.allows(user, self.step, self.subject(task))

    def can_execute(self, user, task):
        return self.is_eligible(user, task)

    def can_assign(self, user, task):
        return task.owner_id is None and self.is_eligible(user, task)

    def can_unassign(self, user, task):
        return bool(task.owner_id) and is_owner(task.owner, user)

    @property
    def view_path(self):
        from flows.views.tasks import task_view

        return path(f"<int:process_pk>/{self.name}/<int:task_pk>/", task_view(self, self.view), name="execute")
