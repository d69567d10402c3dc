"""Year over year for the oversight office and reviewers; the office's corrections of classification and its
weak-and-lax list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows import selectors
from flows.models import Classification, Organisation
from flows.policy import access
from flows.selectors import yearly
from flows.services import classifications as services


def _root_or_404(user, code):
    if code:
        org = Organisation.objects.filter(code=code).first()
        if org is None or not access.can_view_year_over_year(user, org):
            raise Http404
        return org
    roots = access.year_over_year_roots(user)
    if not roots:
        raise Http404
    return roots[0]


@login_required
def year_over_year(request):
    root = _root_or_404(request.user, request.GET.get("root", "").strip())
    selection = yearly.select(root, request.GET)
    data = yearly.year_over_year(
        selection,
        page=request.GET.get("page"),
        drill_page=request.GET.get("drill_page"),
        weak_page=request.GET.get("weak_page"),
    )
    base = {"root": root.code, "year": selection.year or ""}
    return render(
        request,
        "flows/yearly/year_over_year.html",
        {
            "root": root,
            "chain": [o for o in root.leading_chain() if access.can_view_year_over_year(request.user, o)],
            "s": selection,
            "d": data,
            "base": base,
            "chart_data": yearly.chart_json(data),
            "classes": Classification.choices,
        },
    )


def _overseen_or_404(user, code):
    org = access.organisation_or_404(user, code=code)
    if not access.can_oversee_organisation(user, org):
        raise Http404
    return org


def _refused(request, org, exc, form: str):
    """The organisation page again with the office's form open, what was typed kept and the reason it was refused
    (bad input loses nothing)."""
    context = selectors.organisation_page(request.user, org) | {
        "office_form": form,
        "office_error": " ".join(getattr(exc, "messages", [str(exc)])),
        "posted": request.POST,
    }
    return render(request, "flows/organisations/detail.html", context, status=400)


@login_required
@require_POST
def classification_correct(request, code):
    org = _overseen_or_404(request.user, code)
    try:
        services.classification_correct(
            organisation=org,
            year=request.POST.get("year", ""),
            classification=request.POST.get("classification", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, org, exc, "classification")
    messages.success(
        request,
        _("The classification has been set to %(c)s.") % {"c": Classification(request.POST["classification"]).label},
    )
    return redirect("organisation_detail", code=org.code)


@login_required
@require_POST
def weak_and_lax_change(request, code):
    org = _overseen_or_404(request.user, code)
    try:
        if request.POST.get("action") == "lift":
            services.weak_and_lax_lift(
                organisation=org,
                end=request.POST.get("date", ""),
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
            messages.success(request, _("The organisation has been taken off the weak-and-lax list."))
        else:
            services.weak_and_lax_designate(
                organisation=org,
                start=request.POST.get("date", ""),
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
            messages.success(request, _("The organisation has been put on the weak-and-lax list."))
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, org, exc, "weak")
    return redirect("organisation_detail", code=org.code)
