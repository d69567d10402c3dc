from django.utils.functional import SimpleLazyObject

from flows.models import Notification
from flows.policy import access


def _unread(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def _open(user) -> int:
    from flows.selectors.inbox import open_task_count

    return open_task_count(user)


def header_counts(user) -> dict:
    """The header's badges: my open tasks and my unread notifications."""
    return {"unread_notifications": _unread(user), "open_tasks": _open(user)}


def unread_notifications(request):
    """The header's badges, counted only if a template shows them and the view did not count them already
    (my tasks counts them with its list: its own context values hide these)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(lambda: _unread(user)),
        "open_tasks": SimpleLazyObject(lambda: _open(user)),
    }


def menu(request):
    """Which menu entries to show; asked only when the menu is drawn."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"may_see_year_over_year": lambda: access.may_see_year_over_year(user)}
