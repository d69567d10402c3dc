"""Every hand-off is a notification: whoever is given a task by someone else — a new step of the flow assigned to
them, work sent back to them, a task passed on (转办) or reassigned to them, their successor's work at a
hand-over — finds it in the notification centre (通知), sees a toast on their open pages and, where an address is
known, gets an e-mail; all after the transaction commits. A task someone takes for themselves (claiming it from
待认领, opening it) tells nobody. Decisions on someone's work (an item verified, a commendation decided) notify
them the same way.

Who is acting is known from the request (`acting_as`, set by the web middleware); a background job or the
scheduler acts as nobody, so everything it hands out is notified.
"""

import contextlib
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from flows.models import Notification
from flows.services.notifications import inbox_changed

_acting: ContextVar = ContextVar("acting_user_id", default=None)


@contextlib.contextmanager
def acting_as(user_id):
    """Who is acting inside the block: a user's id, or a function giving it when first asked (the request's user,
    read lazily)."""
    token = _acting.set(user_id)
    try:
        yield
    finally:
        _acting.reset(token)


def acting_user_id() -> int | None:
    value = _acting.get()
    return value() if callable(value) else value


def notify(users, title: str, link: str = "", *, push: bool = True) -> None:
    """A notification for each of `users` (their pages told at once after commit, an e-mail where known).
    `push=False`: the page is told already (a task arriving pushes its own toast)."""
    users = [u for u in users if u is not None and getattr(u, "is_active", True)]
    if not users:
        return
    Notification.objects.bulk_create([Notification(user=u, title=title[:200], link=link) for u in users])
    if push:
        inbox_changed([u.pk for u in users], title=title)
    addresses = [u.email for u in users if u.email]
    if addresses:
        transaction.on_commit(
            lambda: send_mail(title, f"{title}\n{settings.SITE_URL}{link}", None, addresses, fail_silently=True)
        )


def task_handed(task, *, previous_owner_id) -> None:
    """Called when a person's task is saved: if it now belongs to someone who did not take it themselves, tell
    them (in the product's language, Chinese, whoever triggered it)."""
    from flows import selectors

    if (
        task.owner_id is None
        or task.owner_id == previous_owner_id
        or task.owner_id == acting_user_id()
        or task.status not in ("NEW", "ASSIGNED", "STARTED")
    ):
        return
    owner = task.owner
    assessment, item = selectors.task_subject(task)
    inspection = selectors.task_inspection(task) if assessment is None else None
    place = (
        assessment.organisation.name
        if assessment is not None
        else (inspection.organisation.name if inspection is not None else "")
    )
    with translation.override(settings.LANGUAGE_CODE):
        title = _("New task: %(task)s") % {"task": task.flow_task.task_title}
        if place:
            title += f"（{place}）"
        if item is not None:
            title += f"：{item.problem[:40]}"
    notify([owner], title, selectors.task_url(task), push=False)
