"""Task lists other than my tasks: the pool (待认领) and the archive, and what stands behind a task.

What a task is about is what its flow registered (`flows.flow_registry.InboxEntry`: the paths from the process to
its assessment, rectification item or inspection); who may take an unassigned one is its node's own eligibility
(the step's rule in `flows.policy.steps`). Nothing here names a flow or a step.
"""

from functools import cache

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.domain.calendar import rag
from flows.flow_registry import inbox_entries, inbox_entry, registered_flows
from flows.models import Organisation
from flows.models.compiled import CompiledQuery
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.policy import access
from flows.selectors.assessments import stage_due
from flows.selectors.inbox import stage_refs

POOL_SIZE = 500  # the most tasks the pool lists (the archive lists 200)


# the task a screen is opened for, with its process and owner; and the same task row-locked with its process while a
# step is taken (the process is locked already, by the flow's lock); both compiled once per process
_TASK = CompiledQuery(
    lambda task_pk, process_pk: (
        Task.objects.select_related("process", "owner").filter(pk=task_pk, process_id=process_pk).order_by()
    ),
    task_pk=int,
    process_pk=int,
)
_TASK_LOCKED = CompiledQuery(
    lambda task_pk: Task.objects.select_for_update(of=("self",)).select_related("process").filter(pk=task_pk),
    task_pk=int,
)


def task_of_process(task_pk: int, process_pk: int):
    """The task `task_pk` of the process `process_pk`, with both and its owner; None if there is no such task."""
    found = _TASK(task_pk=task_pk, process_pk=process_pk)
    return found[0] if found else None


def was_told_of(user, path: str) -> bool:
    """Whether a notification sent to the user links to the task at `path` (it was in their hands once)."""
    from flows.models import Notification

    return Notification.objects.filter(user=user, link=path).exists()


def task_locked(task_pk: int):
    """The task as it is now, row-locked, with its process (inside a transaction); None if it is gone."""
    found = _TASK_LOCKED(task_pk=task_pk)
    return found[0] if found else None


def process_subject(process, name: str):
    """`process.<name>`: the object a flow's steps are taken on (the flow's `subject`, a one-to-one to its process),
    read with the objects it must point to in one statement compiled once per relation, and kept on the process as
    the ORM keeps it, so that reading `process.<name>` again reads nothing. Raises what `process.<name>` raises when
    there is none (the relation's `DoesNotExist`)."""
    rel = process._meta.get_field(name)
    if rel.is_cached(process) or process.pk is None or not (rel.one_to_one and rel.auto_created):
        return getattr(process, name)
    found = _subject_query(rel.related_model, rel.field.attname)(process_id=process.pk)
    subject = found[0] if found else None
    if subject is not None:
        rel.field.set_cached_value(subject, process)
    rel.set_cached_value(process, subject)
    return getattr(process, name)


@cache
def _subject_query(model, column: str) -> CompiledQuery:
    # through the base manager, as the ORM reads `process.<name>`; with what it must point to (an assessment's
    # cycle, organisation and template)
    pointed_to = [f.name for f in model._meta.concrete_fields if f.many_to_one and not f.null]
    return CompiledQuery(
        lambda process_id: model._base_manager.select_related(*pointed_to).filter(**{column: process_id}).order_by(),
        process_id=int,
    )


def _at(process, path: str):
    """The object at `path` (an entry's path, e.g. "referral__item") from the process; None if there is none."""
    if not path:
        return None
    first, *rest = path.split("__")
    try:
        obj = process_subject(process, first)
    except ObjectDoesNotExist:
        return None
    for attr in rest:
        if obj is None:
            return None
        try:
            obj = getattr(obj, attr)
        except ObjectDoesNotExist:
            return None
    return obj


def _entry(task):
    return inbox_entry(task.flow_task.flow_class)


def task_subject(task):
    """(assessment, rectification item or None) behind any task of our flows; (None, None) for a task about no
    assessment (a spot check's)."""
    entry = _entry(task)
    return _at(task.process, entry.assessment), _at(task.process, entry.item)


def task_inspection(task):
    """The spot-check inspection behind a task, or None."""
    return _at(task.process, _entry(task).inspection)


def task_related() -> tuple[str, ...]:
    """What a task list reads with each task (`select_related`): the process, the owner and, for every registered
    flow, the organisation and cycle or plan its tasks are about (and so the subject, the item, the assessment)."""
    return _task_related(registered_flows())


@cache
def _task_related(flows) -> tuple[str, ...]:
    paths = ["process", "owner"]
    for entry in map(inbox_entry, flows):
        for path in (entry.organisation, entry.context, entry.item):
            if path and f"process__{path}" not in paths:
                paths.append(f"process__{path}")
    # a path that another one extends is read with it
    return tuple(p for p in paths if not any(q.startswith(f"{p}__") for q in paths))


def _is_human(node) -> bool:
    """A step a person takes (a `flows.nodes.Task`), told apart without importing the nodes."""
    return getattr(node, "task_type", None) == "HUMAN" and hasattr(node, "is_eligible")


def _task_rows(tasks, *, when="created"):
    """The rows of a task list, in the shape flows.inbox gives my tasks (one template shows both)."""
    rows = []
    for t in tasks:
        assessment, item = task_subject(t)
        inspection = task_inspection(t)
        due = item.due if item else (stage_due(assessment) if assessment else None)
        if inspection is not None:
            due = inspection.plan.due
        own_due = _at(t.process, _entry(t).due)
        if own_due is not None:  # a flow's own due date (a written report due before its meeting)
            due = own_due
        if assessment is not None:
            organisation = assessment.organisation.name
            organisation_url = reverse("assessment_detail", args=[assessment.pk])
        elif inspection is not None:
            organisation = inspection.organisation.name
            organisation_url = reverse("inspection_detail", args=[inspection.pk])
        elif (about := _at(t.process, _entry(t).about)) is not None:
            organisation = about.name
            organisation_url = reverse("organisation_detail", args=[about.code])
        else:
            organisation = organisation_url = ""
        rows.append(
            {
                "task": t,
                "task_id": t.pk,
                "url": task_url(t),
                "title": t.flow_task.task_title,
                "problem": item.problem if item else "",
                "organisation": organisation,
                "organisation_url": organisation_url,
                "context": _context_name(t, inspection, assessment),
                "due": due,
                "rag": _rag(due),
                "at": getattr(t, when),
            }
        )
    return rows


def _context_name(task, inspection, assessment) -> str:
    """What the row names beside the organisation: the plan, the assessment's cycle, or the cycle a task is about."""
    if inspection is not None:
        return inspection.plan.name
    if assessment is not None:
        return assessment.cycle.name
    context = _at(task.process, _entry(task).context)
    return str(context) if context is not None else ""


def _rag(due):
    return rag(due, today())


def task_url(task) -> str:
    return reverse(
        f"{task.flow_task.flow_class.instance.flow_label}:{task.flow_task.name}:execute",
        kwargs={"process_pk": task.process_id, "task_pk": task.pk},
    )


def _due_filter(rows, due):
    """红黄绿: keep the rows whose status by due date is `due` (red, yellow or green)."""
    return [r for r in rows if r["rag"] == due] if due else rows


def _any_flow(lookup: str, value, paths) -> Q:
    """`<path>__<lookup> = value` for the task's process, whichever flow's path leads there."""
    q = Q(pk__in=[])
    for path in dict.fromkeys(p for p in paths if p):
        q |= Q(**{f"process__{path}__{lookup}": value})
    return q


def _filtered(qs, *, cycle=None, stage=None, text="", due=""):
    entries = inbox_entries()
    if cycle:
        qs = qs.filter(_any_flow("cycle_id", cycle, (e.assessment or e.cycle_of for e in entries)))
    if stage:
        qs = qs.filter(flow_task__in=stage_refs(stage))
    if text:
        qs = qs.filter(_any_flow("name__icontains", text, (e.organisation for e in entries)))
    return qs


def archive(user, **filters) -> list[dict]:
    qs = Task.objects.filter(owner=user, finished__isnull=False).select_related(*task_related())
    return _task_rows(_filtered(qs, **filters).order_by("-finished", "-pk")[:200], when="finished")


def queue(user, **filters) -> list[dict]:
    """Unassigned tasks this user may take, oldest first: those their node finds them eligible for.

    The database first keeps the tasks within the user's reach (`_reach`), a superset of whom any step's rule
    allows; each node then has the final word."""
    reach = _reach(user)
    if reach is None:
        return []
    qs = Task.objects.filter(status=STATUS.NEW, owner__isnull=True, flow_task_type="HUMAN")
    ordered = _filtered(qs.filter(reach), **filters).select_related(*task_related()).order_by("created", "pk")
    tasks, start = [], 0
    while len(tasks) < POOL_SIZE:  # one query unless more than POOL_SIZE tasks are within reach
        batch = list(ordered[start : start + POOL_SIZE])
        tasks += [t for t in batch if _is_human(t.flow_task) and t.flow_task.is_eligible(user, t)]
        if len(batch) < POOL_SIZE:
            break
        start += POOL_SIZE
    return _due_filter(_task_rows(tasks[:POOL_SIZE]), filters.get("due"))


def _reach(user) -> Q | None:
    """The unassigned tasks a step's rule could offer this user, as a condition on the task (None: none at all):
    those about an organisation the user is tied to — one they hold a role in, lead, guide, oversee as an officer,
    or review (the organisations led by one their office reviews) — and those of a cycle or plan run by an office
    they are an officer of. The organisation and the office are reached by each flow's registered paths.

    Every rule of the permission table asks one of these ties of the person (a step no one tied to the task may
    take would never show here: `tests/test_inbox__registry.py` checks each node's eligibility against it)."""
    scope = access.scope_for(user)
    if scope.superuser:
        return Q()
    offices = access.offices_of(user)
    if scope.is_empty and not offices:
        return None
    tied = Q(pk__in=scope.own_ids | scope.guided_ids)
    for path in scope.act_paths:  # what they lead (and so review, as its secretary) and what they oversee
        tied |= subtree_q(path)
    for path, depth in Organisation.objects.filter(review_office_id__in=offices).values_list("path", "depth"):
        tied |= subtree_q(path, include_self=False) & Q(depth=depth + 1)
    organisations = Organisation.objects.filter(tied).values("pk")
    entries = inbox_entries()
    return _any_flow("in", organisations, (e.organisation for e in entries)) | _any_flow(
        "in", list(offices), (e.office for e in entries)
    )
