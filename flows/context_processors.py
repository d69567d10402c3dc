from .models import Notification


def unread_notifications(request):
    """The header's badge: how many of my notifications are unread."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at=None).count()}
