"""What the fault tests compare before and after a failure: where an assessment stands, its flow's tasks, its
history, and the row counts of everything a step could have written."""

from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS

from flows.models import Assessment, AuditEntry
from flows.services.tasks import OPEN_STATUSES


def standing(a) -> dict:
    a = Assessment.objects.get(pk=a.pk)
    return {
        "state": a.state,
        "tasks": sorted(
            Task.objects.filter(process_id=a.process_id).values_list("pk", "flow_task", "status", "owner_id")
        ),
        "history": AuditEntry.objects.filter(subject_type="flows.assessment", subject_id=str(a.pk)).count(),
        "all_tasks": Task.objects.count(),
        "all_processes": Process.objects.count(),
        "all_audit": AuditEntry.objects.count(),
    }


def orphan_tasks() -> list:
    """Open tasks whose process is finished or cancelled, or whose node is not where its assessment stands."""
    from flows.flows import AssessmentFlow

    waiting_at = {
        "self_assessment": "draft_self",
        "self_approval": "approve_self",
        "mass_evaluation": "close_mass",
        "superior_review": "review",
    }
    orphans = []
    for task in Task.objects.filter(status__in=OPEN_STATUSES).select_related("process"):
        if task.process.status in (PROCESS.DONE, PROCESS.CANCELED):
            orphans.append((task.pk, "finished process"))
            continue
        if task.process.flow_class is not AssessmentFlow:
            continue
        a = Assessment.objects.filter(process_id=task.process_id).first()
        expected = waiting_at.get(a.state) if a else None
        if expected and task.flow_task.name != expected:
            orphans.append((task.pk, f"{task.flow_task.name} while {a.state}"))
    return orphans
