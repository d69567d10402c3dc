"""Local days off: the oversight office corrects the national calendar for its own scope."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.models import DayOff, OversightOffice
from flows.policy import access
from flows.services import calendar_days as svc
from forms.daysoff import DayOffForm


def _office_or_404(user, pk):
    if pk not in access.offices_of(user):
        raise Http404
    return OversightOffice.objects.get(pk=pk)


@login_required
def days_off(request, office_pk):
    office = _office_or_404(request.user, office_pk)
    form = DayOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.day_off_set(by=request.user, office=office, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The calendar has been updated."))
            return redirect("days_off", office_pk=office.pk)
    return render(
        request,
        "flows/daysoff/list.html",
        {
            "office": office,
            "form": form,
            "days": DayOff.objects.filter(office=office).order_by("-date"),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def day_off_delete(request, office_pk, pk):
    office = _office_or_404(request.user, office_pk)
    svc.day_off_remove(by=request.user, office=office, pk=pk)
    return redirect("days_off", office_pk=office.pk)
