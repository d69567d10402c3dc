"""Results publication (公示): the office publishes; those concerned read the ratings and may object."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.models import Publication, ReviewCycle
from flows.models.people import today
from flows.policy import access
from flows.services import publications as svc
from flows.services import results as results_services
from flows.services.tasks import AlreadyHandled
from flows.views.errors import error_text
from forms.publications import ObjectionForm, PublicationForm


def _publication_or_404(user, pk):
    """A publication is read by whoever may see any organisation of the cycle (and by the cycle's office)."""
    pub = Publication.objects.select_related("cycle__office").filter(pk=pk).first()
    if pub is None:
        raise Http404
    if access.can_manage_cycle(user, pub.cycle) or access.can_view_cycle_dashboard(user, pub.cycle):
        return pub
    visible = access.visible_organisations(user).values("pk")
    if not pub.cycle.assessments.filter(organisation_id__in=visible).exists():
        raise Http404
    return pub


@login_required
@require_POST
def publication_open(request, pk):
    cycle = ReviewCycle.objects.filter(pk=pk).first()
    if cycle is None or not access.can_manage_cycle(request.user, cycle):
        raise Http404
    form = PublicationForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("cycle_detail", pk=pk)
    try:
        pub = svc.publication_open(by=request.user, cycle=cycle, **form.cleaned_data)
    except (ValidationError, PermissionDenied, AlreadyHandled) as exc:
        messages.error(request, error_text(exc))
        return redirect("cycle_detail", pk=pk)
    messages.success(request, _("The ratings are published until %(ends)s.") % {"ends": pub.ends})
    return redirect("publication_detail", pk=pub.pk)


@login_required
@require_POST
def settlement_start(request, pk):
    """The office asks for the settling task now (it also starts by itself when the last review is in)."""
    cycle = ReviewCycle.objects.filter(pk=pk).first()
    if cycle is None or not access.can_manage_cycle(request.user, cycle):
        raise Http404
    try:
        with transaction.atomic():
            results_services.settlement_start(cycle=cycle, by=request.user)
    except (ValidationError, PermissionDenied, AlreadyHandled) as exc:
        messages.error(request, error_text(exc))
        return redirect("cycle_detail", pk=pk)
    messages.success(
        request, _("The settling of the ratings (等次审定) is waiting in 待认领 for the office's officers.")
    )
    return redirect("queue")


@login_required
def publication_detail(request, pk):
    pub = _publication_or_404(request.user, pk)
    form = ObjectionForm(request.POST or None)
    ratings = list(svc.published_ratings(pub))
    if request.method == "POST" and form.is_valid():
        assessment = next((a for a in ratings if a.pk == form.cleaned_data["assessment"]), None)
        if assessment is None:
            raise Http404
        try:
            svc.objection_raise(
                by=request.user, publication=pub, assessment=assessment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Your objection has been passed to the oversight office."))
            return redirect("publication_detail", pk=pk)
    return render(
        request,
        "flows/publications/detail.html",
        {
            "publication": pub,
            "ratings": ratings,
            "form": form,
            "open": pub.is_open(today()),
            "mine": pub.objections.filter(raised_by=request.user).select_related("assessment__organisation"),
            "may_manage": access.can_manage_cycle(request.user, pub.cycle),
            "objections": pub.objections.select_related("assessment__organisation", "raised_by")
            if access.can_manage_cycle(request.user, pub.cycle)
            else None,
        },
        status=400 if form.errors else 200,
    )
