"""The oversight office enters an organisation's social evaluation (社会评价) with its source."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.models import Assessment
from flows.services import assessments as services
from flows.services.tasks import AlreadyHandled
from flows.views.errors import error_text


@login_required
@require_POST
def social_score(request, pk):
    a = Assessment.objects.select_related("cycle").filter(pk=pk).first()
    if a is None or not services.may_enter_social_score(request.user, a):
        raise Http404
    try:
        services.social_score_set(
            assessment=a,
            by=request.user,
            score=request.POST.get("social_score", ""),
            source=request.POST.get("social_source", ""),
        )
    except (ValidationError, PermissionDenied, AlreadyHandled) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The social evaluation has been recorded."))
    return redirect("assessment_detail", pk=pk)
