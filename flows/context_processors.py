from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from . import access
from .models import Notification


def unread_notifications(request):
    """The header's badges: my open tasks and my unread notifications."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(user=user, read_at=None).count(),
        "open_tasks": Task.objects.filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED]).count(),
    }


def menu(request):
    """Which menu entries to show; asked only when the menu is drawn."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"may_see_year_over_year": lambda: bool(access.year_over_year_roots(user))}
