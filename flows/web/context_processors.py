from django.utils.functional import SimpleLazyObject

from flows.policy import access
from flows.selectors.header import open_count, unread_count


def unread_notifications(request):
    """The header's badges, counted only if a template shows them and the view did not count them already
    (my tasks counts them with its list: its own context values hide these)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user)),
        "open_tasks": SimpleLazyObject(lambda: open_count(user)),
    }


def menu(request):
    """Which menu entries to show; asked only when the menu is drawn."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"may_see_year_over_year": lambda: access.may_see_year_over_year(user)}
