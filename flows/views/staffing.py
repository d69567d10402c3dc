"""The oversight office's staffing actions on an organisation's page: an acting head (代理 / 主持工作) for a vacant
post, and a hand-over to a successor that takes the post's open work along."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.models import RoleAssignment, User
from flows.services import people as services
from flows.views.yearly import _overseen_or_404, _refused


def _date(value: str):
    try:
        return datetime.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ValidationError(_("Enter a date such as 2026-03-01.")) from None


def _person(value: str):
    person = User.objects.filter(pk=int(value), is_active=True).first() if value.isdigit() and len(value) < 10 else None
    if person is None:
        raise ValidationError(_("Choose a person."))
    return person


@login_required
@require_POST
def acting_head(request, code):
    org = _overseen_or_404(request.user, code)
    try:
        ra = services.acting_head_appoint(
            by=request.user,
            organisation=org,
            user=_person(request.POST.get("user", "")),
            role=request.POST.get("role", ""),
            start=_date(request.POST.get("start", "")),
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, org, exc, "acting")
    messages.success(request, _("%(person)s is recorded as %(role)s.") % {"person": ra.user, "role": ra.role_label()})
    return redirect("organisation_detail", code=org.code)


@login_required
@require_POST
def handover(request, code):
    org = _overseen_or_404(request.user, code)
    ra = RoleAssignment.objects.current().filter(organisation=org, pk=request.POST.get("assignment") or 0).first()
    try:
        if ra is None:
            raise ValidationError(_("Choose the post that is handed over."))
        services.role_handover(
            by=request.user,
            assignment=ra,
            successor=_person(request.POST.get("successor", "")),
            on=_date(request.POST.get("on", "")),
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, org, exc, "handover")
    messages.success(request, _("The post has been handed over; its open work went to the successor."))
    return redirect("organisation_detail", code=org.code)
