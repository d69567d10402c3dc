"""Infrastructure only: when a viewflow task is created, assigned, reassigned or finished, the inboxes of the
people concerned (its owner before and after) are told to refresh, and a task handed to someone is passed to
`services.handoffs` (which decides whom to notify); when an assessment is saved, open dashboards of its cycle
are told to redraw."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from viewflow.workflow.models import Task

from flows.models import Assessment
from flows.models.compiled import CompiledQuery
from flows.services import handoffs
from flows.services.notifications import cycle_changed, inbox_changed

# a task's stored owner (compiled once per process: it is read before every save of a task)
_STORED_OWNER = CompiledQuery(lambda pk: Task.objects.filter(pk=pk).order_by().values_list("owner_id"), pk=int)


@receiver(pre_save, sender=Task)
def _remember_owner(sender, instance, **kwargs):
    found = _STORED_OWNER(pk=instance.pk) if instance.pk else []
    instance._owner_before = found[0][0] if found else None


@receiver(post_save, sender=Task)
def _tell_inboxes(sender, instance, created, **kwargs):
    if instance.flow_task_type != "HUMAN":
        return
    title = str(instance.flow_task.task_title) if instance.owner_id and instance.status in ("NEW", "ASSIGNED") else ""
    inbox_changed([instance.owner_id, getattr(instance, "_owner_before", None)], title=title)
    handoffs.task_handed(instance, previous_owner_id=getattr(instance, "_owner_before", None))


@receiver(post_save, sender=Assessment)
def _tell_dashboards(sender, instance, **kwargs):
    cycle_changed(instance.cycle_id)
