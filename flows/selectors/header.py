"""The header's badges on every page: my open tasks and my unread notifications."""

from flows.models import Notification


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def open_count(user) -> int:
    from flows.selectors.inbox import open_task_count

    return open_task_count(user)


def header_counts(user) -> dict:
    return {"unread_notifications": unread_count(user), "open_tasks": open_count(user)}
