from django.utils.functional import SimpleLazyObject

from flows.policy import access
from flows.selectors.header import page_header


def unread_notifications(request):
    """The header's badges, counted only if a template shows them and the view did not count them already
    (my tasks counts them with its list: its own context values hide these); counted with the menu's answers in one
    statement (`page_header`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(lambda: page_header(user)["unread_notifications"]),
        "open_tasks": SimpleLazyObject(lambda: page_header(user)["open_tasks"]),
    }


def menu(request):
    """Which menu entries to show; asked only when the menu is drawn."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"may_see_year_over_year": lambda: access.may_see_year_over_year(user)}
