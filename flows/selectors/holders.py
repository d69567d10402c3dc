"""Who holds, and who may take, an open task: the organisation behind it, the people its step allows, and the tasks
nobody can act on (岗位空缺: a vacant post, a holder who left). Reads for the pass-on form, `check_stalls` and the
oversight office's dashboard."""

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import Assessment, User
from flows.models.compiled import CompiledQuery
from flows.policy import access

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def assessment_behind(subject):
    """The assessment a step's subject belongs to (None for a spot check's inspection)."""
    for path in ((), ("assessment",), ("item", "assessment")):
        obj = subject
        for attr in path:
            obj = getattr(obj, attr, None)
        if isinstance(obj, Assessment):
            return obj
    return None


def organisation_behind(subject):
    """The organisation a step's subject is about; for a step about a whole cycle (settling its ratings), the
    scope of the office running it, whose officers take it."""
    assessment = assessment_behind(subject)
    if assessment is not None:
        return assessment.organisation
    if getattr(subject, "organisation", None) is None and getattr(subject, "cycle", None) is not None:
        return subject.cycle.office.scope
    return getattr(subject, "organisation", None)


def may_take(user, task) -> bool:
    """Whether `user` may take the step of `task` (as if it were offered to them)."""
    node = task.flow_task
    return user is not None and user.is_active and hasattr(node, "may_take_step") and node.may_take_step(user, task)


def pass_on_candidates(task: Task) -> list[User]:
    """People who may take the task's step: the leaders of its organisation and of the one that leads it, and the
    officers of the offices over it — those the table allows, the present holder left out."""
    from flows.models import OfficeMembership, OfficeRole, OversightOffice, RoleAssignment

    org = organisation_behind(task.flow_task.subject(task))
    if org is None:
        return []
    orgs = [org.pk] + ([org.leading.pk] if org.leading else [])
    ids = set(RoleAssignment.objects.current().filter(organisation_id__in=orgs).values_list("user_id", flat=True))
    offices = [o.pk for o in OversightOffice.objects.select_related("scope") if org.path.startswith(o.scope.path)]
    ids |= set(
        OfficeMembership.objects.current()
        .filter(role=OfficeRole.OFFICER, office_id__in=offices)
        .values_list("user_id", flat=True)
    )
    people = User.objects.filter(pk__in=ids, is_active=True).exclude(pk=task.owner_id).order_by("real_name")
    people = list(people)
    access.scopes_for(people)
    with access.asking_many_people():
        return [u for u in people if may_take(u, task)]


def may_pass_on(user, task) -> bool:
    """Whether `user` may pass the open `task` on at all: its holder (转办), or an oversight officer over it
    (reassignment). The task screens ask only this; whom to is read when the form is opened (`pass_on_choices`)."""
    if task.status not in OPEN_STATUSES or not getattr(task.flow_task, "step", None):
        return False
    if task.owner_id is not None and task.owner_id == user.pk:
        return True
    org = organisation_behind(task.flow_task.subject(task))
    return org is not None and access.can_oversee_organisation(user, org)


def pass_on_choices(user, task) -> list[User] | None:
    """Whom `user` may pass the open `task` to (转办 by its holder, reassignment by an oversight officer over it), or
    None when they may not pass it on at all."""
    if not may_pass_on(user, task):
        return None
    return pass_on_candidates(task)


def stalled_tasks(user=None, *, limit: int = 500) -> list[dict]:
    """Open tasks nobody can act on: unassigned with nobody who may take them, or held by someone who may no longer
    (a role ended, an account closed). With `user`, only those about organisations the user oversees."""
    out = []
    tasks = Task.objects.filter(status__in=OPEN_STATUSES, flow_task_type="HUMAN").select_related("owner", "process")
    for task in tasks.order_by("created", "pk").iterator(chunk_size=500):
        node = task.flow_task
        if not getattr(node, "step", None):
            continue
        org = organisation_behind(node.subject(task))
        if user is not None and (org is None or not access.can_oversee_organisation(user, org)):
            continue
        if task.owner_id is not None:
            if may_take(task.owner, task):
                continue
            why = "holder_cannot_act"
        elif pass_on_candidates(task):
            continue
        else:
            why = "vacant"
        out.append({"task": task, "organisation": org, "why": why, "candidates": pass_on_candidates(task)})
        if len(out) >= limit:
            break
    return out


def returning_reviewer(item):
    """The reviewer who returned this rectification item's last report, if they may still verify it: a report made
    again goes back to them, not to the pool (None: the pool, as for a first report)."""
    from flows.models import AuditEntry
    from flows.policy import steps

    entry = (
        AuditEntry.objects.filter(subject_type="flows.rectificationitem", subject_id=str(item.pk))
        .filter(action="rectification.return")
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    reviewer = entry.actor if entry is not None else None
    if reviewer is None or not reviewer.is_active or not steps.allows(reviewer, "rectificationitem.verify", item):
        return None
    return reviewer


# a process's open steps for people, with owner and process (compiled once per process)
_OPEN_HUMAN_TASKS = CompiledQuery(
    lambda process_id: (
        Task.objects.filter(process_id=process_id, status__in=OPEN_STATUSES, flow_task_type="HUMAN")
        .select_related("owner", "process")
        .order_by("pk")
    ),
    process_id=int,
)


def next_steps(process) -> list[dict]:
    """The open steps of a process after one was taken: what, who (the holder, or nobody yet: 待认领) and by when."""
    from flows.selectors.assessments import stage_due

    out = []
    for task in _OPEN_HUMAN_TASKS(process_id=process.pk):  # the subject is read through the process
        subject = task.flow_task.subject(task)
        assessment = assessment_behind(subject)
        item = subject if getattr(subject, "due", None) and hasattr(subject, "problem") else None
        due = item.due if item is not None else (stage_due(assessment) if assessment is not None else None)
        out.append({"title": str(task.flow_task.task_title), "owner": task.owner, "due": due})
    return out
