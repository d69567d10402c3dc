from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from flows.models import Notification
from flows.services import deadlines as svc


@login_required
def notification_list(request):
    """The notification centre: my reminders and escalations, newest first."""
    items = Notification.objects.filter(user=request.user)[:200]
    return render(request, "flows/notifications/list.html", {"items": items})


@login_required
@require_POST
def notification_open(request, pk):
    """Mark one of my notifications read and follow its link (someone else's: nothing happens)."""
    item = Notification.objects.filter(user=request.user, pk=pk).first()
    svc.notification_read(user=request.user, notification_id=pk)
    return redirect(item.link if item and item.link.startswith("/") else "notification_list")


@login_required
@require_POST
def notifications_read(request):
    svc.notifications_read_all(user=request.user)
    return redirect("notification_list")
