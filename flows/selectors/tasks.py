"""Task lists other than my tasks: the pool (待认领) and the archive, and what stands behind a task."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.urls import reverse
from viewflow.workflow.base import Node
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import (
    LEADERSHIP_ROLES,
    OfficeMembership,
    OfficeRole,
    Organisation,
    Role,
    RoleAssignment,
)
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.policy import access
from flows.selectors.assessments import stage_due


def task_subject(task):
    """(assessment, rectification item or None) behind any task of our flows."""
    process = task.process
    for attr in ("assessment", "rectification_item", "guidance_comment", "referral", "objection"):
        obj = getattr(process, attr, None) if _has_related(process, attr) else None
        if obj is not None:
            if attr == "assessment":
                return obj, None
            if attr == "referral":
                return obj.item.assessment, obj.item
            return obj.assessment, obj if attr == "rectification_item" else None
    return None, None


def _has_related(process, attr):
    try:
        getattr(process, attr)
        return True
    except ObjectDoesNotExist:
        return False


def _task_rows(tasks, *, when="created"):
    """The rows of a task list, in the shape flows.inbox gives my tasks (one template shows both)."""
    rows = []
    for t in tasks:
        assessment, item = task_subject(t)
        inspection = t.process.inspection if _has_related(t.process, "inspection") else None
        due = item.due if item else (stage_due(assessment) if assessment else None)
        if inspection is not None:
            due = inspection.plan.due
        if assessment is not None:
            organisation = assessment.organisation.name
            organisation_url = reverse("assessment_detail", args=[assessment.pk])
        elif inspection is not None:
            organisation = inspection.organisation.name
            organisation_url = reverse("inspection_detail", args=[inspection.pk])
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
                "context": inspection.plan.name if inspection else (assessment.cycle.name if assessment else ""),
                "due": due,
                "rag": _rag(due),
                "at": getattr(t, when),
            }
        )
    return rows


def _rag(due):
    from flows.services.deadlines import rag

    return rag(due, today())


def task_url(task) -> str:
    return reverse(
        f"{task.flow_task.flow_class.instance.flow_label}:{task.flow_task.name}:execute",
        kwargs={"process_pk": task.process_id, "task_pk": task.pk},
    )


TASK_RELATED = (
    "process",
    "owner",
    "process__assessment__organisation",
    "process__assessment__cycle",
    "process__rectification_item__assessment__organisation",
    "process__rectification_item__assessment__cycle",
    "process__guidance_comment__assessment__organisation",
    "process__guidance_comment__assessment__cycle",
    "process__inspection__organisation",
    "process__inspection__plan",
    "process__objection__assessment__organisation",
    "process__objection__assessment__cycle",
)


def _due_filter(rows, due):
    """红黄绿: keep the rows whose status by due date is `due` (red, yellow or green)."""
    return [r for r in rows if r["rag"] == due] if due else rows


def _filtered(qs, *, cycle=None, stage=None, text="", due=""):
    if cycle:
        qs = qs.filter(
            Q(process__assessment__cycle_id=cycle)
            | Q(process__rectification_item__assessment__cycle_id=cycle)
            | Q(process__guidance_comment__assessment__cycle_id=cycle)
        )
    if stage:
        from flows.flows import FLOWS

        qs = qs.filter(flow_task__in=[getattr(f, stage) for f in FLOWS if isinstance(getattr(f, stage, None), Node)])
    if text:
        qs = qs.filter(
            Q(process__assessment__organisation__name__icontains=text)
            | Q(process__rectification_item__assessment__organisation__name__icontains=text)
            | Q(process__guidance_comment__assessment__organisation__name__icontains=text)
            | Q(process__inspection__organisation__name__icontains=text)
        )
    return qs


def archive(user, **filters) -> list[dict]:
    qs = Task.objects.filter(owner=user, finished__isnull=False).select_related(*TASK_RELATED)
    return _task_rows(_filtered(qs, **filters).order_by("-finished", "-pk")[:200], when="finished")


def queue(user, **filters) -> list[dict]:
    """Unassigned tasks this user may take: oversight work in their scope, reviews for their office,
    verifications for organisations they review, comments for organisations they guide."""
    from flows.flows import AssessmentFlow, GuidanceCommentFlow, InspectionFlow, ObjectionFlow, RectificationItemFlow

    scope = access.scope_for(user)
    office_ids = list(
        OfficeMembership.objects.current()
        .filter(user=user, role=OfficeRole.OFFICER)
        .values_list("office_id", flat=True)
    )
    led_by_office = list(Organisation.objects.filter(review_office_id__in=office_ids).values_list("path", "depth"))
    secretary_of = list(
        Organisation.objects.filter(
            pk__in=RoleAssignment.objects.current().filter(user=user, role=Role.SECRETARY).values("organisation_id")
        ).values_list("path", "depth")
    )
    reviewed = Q(pk__in=[])
    for path, depth in led_by_office + secretary_of:
        reviewed |= subtree_q(path, include_self=False) & Q(depth=depth + 1)
    officer = Q(pk__in=[])
    for path in scope.officer_paths:
        officer |= subtree_q(path)
    if scope.superuser:
        officer = Q()

    a_org = "process__assessment__organisation__"
    i_org = "process__rectification_item__assessment__organisation__"
    q = Q(
        flow_task__in=[
            AssessmentFlow.close_mass,
            AssessmentFlow.decide_commendation,
            AssessmentFlow.propose_accountability,
            AssessmentFlow.approve_accountability,
        ]
    ) & _prefixed(officer, a_org)
    q |= Q(flow_task=AssessmentFlow.review) & _prefixed(reviewed, a_org)
    q |= Q(flow_task=RectificationItemFlow.verify) & _prefixed(reviewed, i_org)
    leader_orgs = (
        RoleAssignment.objects.current().filter(user=user, role__in=LEADERSHIP_ROLES).values("organisation_id")
    )
    q |= Q(flow_task=GuidanceCommentFlow.comment, process__guidance_comment__guide_id__in=leader_orgs)
    q |= Q(flow_task=InspectionFlow.review, process__inspection__plan__office_id__in=office_ids)
    q |= Q(flow_task=ObjectionFlow.decide, process__objection__publication__cycle__office_id__in=office_ids)
    qs = Task.objects.filter(status=STATUS.NEW, owner__isnull=True).filter(q).select_related(*TASK_RELATED)
    tasks = [t for t in _filtered(qs, **filters).order_by("created", "pk")[:500] if t.flow_task.is_eligible(user, t)]
    return _due_filter(_task_rows(tasks), filters.get("due"))


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition on a related organisation: prefix every lookup in a Q tree."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            key, value = child
            clone.children.append((prefix + key, value))
    return clone
