"""The header's badges on every page: my open tasks and my unread notifications."""

from django.db import connection

from flows.models import Notification


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def open_count(user) -> int:
    from flows.selectors.inbox import open_task_count

    return open_task_count(user)


def header_counts(user) -> dict:
    return {"unread_notifications": unread_count(user), "open_tasks": open_count(user)}


def page_header(user) -> dict:
    """What the header of a page shows for `user`: the two counts and (for an active user who is not a superuser)
    the menu's answers, in one statement at most once per request, kept on the user object like the menu's answers
    (`flows.selectors.menu`); my tasks counts them in its own statement instead. Asked while the page is drawn,
    after the view has done its work."""
    cached = getattr(user, "_page_header", None)
    if cached is not None:
        return cached
    from flows.selectors.inbox import counts_sql
    from flows.selectors.menu import asks_in_sql, menu_sql, remember_answers

    sql, params = counts_sql(user)
    asks = asks_in_sql(user)
    if asks:
        menu, menu_params = menu_sql(user)
        sql, params = f"{sql}, {menu}", [*params, *menu_params]
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sql}", params)  # noqa: S608 (fixed fragments; every value is a parameter)
        open_tasks, unread, *menu_values = cur.fetchone()
    if asks:
        remember_answers(user, menu_values)
    user._page_header = {"open_tasks": open_tasks, "unread_notifications": unread}
    return user._page_header
