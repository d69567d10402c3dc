"""The flows, registered by name for the code below them: services start a flow by its name, and reads (my tasks,
the pool, the archive, the deadline sweep) ask each flow what its tasks are about.

`flows.flows` registers every flow when the app is ready (`flows.apps`), so nothing below it imports it: this
module sits at the bottom of the layers and imports nothing of the project.

What a task is about is declared by its flow, next to its `subject` (`process.<subject>`, the object each step is
taken on), as an `InboxEntry`: the ORM paths from the process to the assessment, rectification item or inspection
behind the task. The task lists read those paths and nothing else: my tasks builds its SQL from them, the pool
and the archive their joins and filters, the deadline sweep its due dates. A new flow declares its entry; the
lists do not change.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class InboxEntry:
    """What a flow's tasks are about, as ORM paths from the process (`process__<path>`), each starting at the
    flow's subject; "" where the task has no such thing.

    * `assessment`: the assessment (one organisation's year): its organisation, its cycle (the list's context and
      the office running it) and its current stage's deadline, and the assessment page as the task's link;
    * `item`: the rectification item: its problem and its own due date (instead of the stage's);
    * `inspection`: the spot-check inspection, for a task about no assessment: its organisation, its plan (the
      context, the office and the due date) and the inspection page;
    * `cycle_of`: for a task about a whole review cycle (settling its ratings) or something held within one (a
      report-and-review meeting), the object whose `cycle` it is: the cycle is the context and its office the one
      running it; there is no organisation;
    * `run_by`: the path to the oversight office whose officers take the task, where it is not the cycle's (a
      township's report-and-review meeting is run by the township's own office);
    * `about`: the path to the organisation the task is about, where it is neither an assessment's nor an
      inspection's (a report-and-review meeting's holding level, a reporter's organisation);
    * `due`: the path to the task's own due date (a date field), where it has one that is neither a rectification
      item's nor a stage's (a written report due before its meeting).
    """

    assessment: str = ""
    item: str = ""
    inspection: str = ""
    cycle_of: str = ""
    run_by: str = ""
    about: str = ""
    due: str = ""

    @property
    def organisation(self) -> str:
        """The path to the organisation the task is about ("" for none)."""
        if self.assessment:
            return f"{self.assessment}__organisation"
        if self.inspection:
            return f"{self.inspection}__organisation"
        return self.about

    @property
    def context(self) -> str:
        """The path to what the list names beside the organisation: the review cycle, or the spot-check plan."""
        if self.assessment:
            return f"{self.assessment}__cycle"
        if self.inspection:
            return f"{self.inspection}__plan"
        return f"{self.cycle_of}__cycle" if self.cycle_of else ""

    @property
    def office(self) -> str:
        """The path to the oversight office running the cycle or plan the task belongs to ("" for none)."""
        if self.run_by:
            return self.run_by
        return f"{self.context}__office" if self.context else ""

    def paths(self) -> tuple[str, ...]:
        return tuple(
            p
            for p in (self.assessment, self.item, self.inspection, self.cycle_of, self.run_by, self.about, self.due)
            if p
        )


_FLOWS: dict[str, type] = {}


def flows_register(*flow_classes) -> None:
    """Called once by `flows.flows` when it is imported. Each flow names its `subject` and its `inbox` entry,
    whose paths start at the subject."""
    for cls in flow_classes:
        entry, subject = getattr(cls, "inbox", None), getattr(cls, "subject", "")
        if not isinstance(entry, InboxEntry) or not subject:
            raise TypeError(f"{cls.__name__} must name its subject and its inbox entry (an InboxEntry)")
        for path in entry.paths():
            if path.split("__")[0] != subject:
                raise ValueError(f"{cls.__name__}.inbox: {path!r} does not start at the subject {subject!r}")
        _FLOWS[cls.__name__] = cls


def flow_class(name: str):
    """The registered flow called `name` (e.g. "AssessmentFlow")."""
    return _FLOWS[name]


def registered_flows() -> tuple:
    return tuple(_FLOWS.values())


def inbox_entry(flow) -> InboxEntry:
    """What the tasks of `flow` (a registered flow class) are about; an empty entry for a flow not registered."""
    if _FLOWS.get(flow.__name__) is not flow:
        return InboxEntry()
    return flow.inbox


def human_nodes(flow) -> list:
    """The steps of `flow` a person takes (viewflow's "HUMAN" nodes: our `flows.nodes.Task`), in flow order."""
    return [node for node in flow.instance.nodes() if getattr(node, "task_type", None) == "HUMAN"]


def inbox_entries() -> tuple[InboxEntry, ...]:
    """The entries of all registered flows, in the order they were registered."""
    return tuple(cls.inbox for cls in _FLOWS.values())
