"""The oversight office's side of spot checks: plan, freeze, draw, certificate, results; inspections read-only."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows import selectors
from flows.excel import spotchecks as excel
from flows.models import FindingEvidence, Inspection, SpotCheckPlan
from flows.policy import access
from flows.reports import draw_certificate as cert
from flows.services import spotchecks as svc
from flows.services.tasks import AlreadyHandled
from flows.views.errors import error_text
from flows.views.evidence import private_file
from forms.spotchecks import CancelForm, DrawForm, FreezeForm, PlanForm


def _plan_or_404(user, pk, *, run=False):
    plan = selectors.spot_checks_for(user).filter(pk=pk).first()
    if plan is None or (run and not access.can_run_spot_check(user, plan)):
        raise Http404
    return plan


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def plan_list(request):
    return render(
        request,
        "flows/spotchecks/list.html",
        {"plans": selectors.spot_checks_for(request.user), "may_create": bool(access.offices_of(request.user))},
    )


@login_required
def plan_create(request):
    if not access.offices_of(request.user):
        raise Http404
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            plan = svc.plan_create(
                by=request.user,
                office=form.cleaned_data["office"],
                pool=form.cleaned_data["pool"],
                **form.service_fields(),
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The plan has been saved. Check the population, then freeze it."))
            return redirect("spotcheck_detail", pk=plan.pk)
    return render(request, "flows/spotchecks/create.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def plan_detail(request, pk):
    plan = _plan_or_404(request.user, pk)
    return render(
        request,
        "flows/spotchecks/detail.html",
        {
            "plan": plan,
            "may_run": access.can_run_spot_check(request.user, plan),
            "strata": selectors.plan_strata(plan),
            "pool": plan.snapshot["pool"] if plan.snapshot else None,
            "results": _openable(request.user, selectors.plan_results(plan)) if plan.result else None,
            "draw_form": DrawForm(),
            "freeze_form": FreezeForm(),
            "cancel_form": CancelForm(),
            "cancelled": cert.cancelled_rows(plan) if plan.state == "frozen" else None,
        },
    )


def _plan_action(request, pk, action, done_message, **kwargs):
    plan = _plan_or_404(request.user, pk, run=True)
    try:
        action(by=request.user, plan=plan, **kwargs)
    except (ValidationError, PermissionDenied, AlreadyHandled) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done_message)
    return redirect("spotcheck_detail", pk=pk)


@login_required
@require_POST
def plan_freeze(request, pk):
    form = FreezeForm(request.POST)
    source = form.cleaned_data["source"] if form.is_valid() else ""
    return _plan_action(
        request,
        pk,
        svc.plan_freeze,
        _(
            "The population is frozen and the seed committed. Publish the notice (its link needs no login) before "
            "the witnesses take the numbers."
        ),
        source=source,
    )


@login_required
@require_POST
def plan_draw(request, pk):
    form = DrawForm(request.POST)
    valid = form.is_valid()
    return _plan_action(
        request,
        pk,
        svc.plan_draw,
        _("The draw is made and the seed revealed; the inspectors have their tasks."),
        numbers=form.cleaned_data["numbers"] if valid else "",
        witnesses=form.witness_names() if valid else [],
        entropy=form.cleaned_data["entropy"] if valid else "",
    )


@login_required
@require_POST
def plan_cancel(request, pk):
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _plan_action(request, pk, svc.plan_cancel, _("The plan has been cancelled."), reason=reason)


def _drawn_or_404(user, pk):
    plan = _plan_or_404(user, pk)
    if not plan.result:
        raise Http404
    return plan


def _json(document: dict, filename: str) -> HttpResponse:
    body = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
    response = HttpResponse(body.encode(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def plan_certificate(request, pk):
    plan = _drawn_or_404(request.user, pk)
    return render(request, "flows/spotchecks/certificate.html", cert.certificate_context(plan))


@login_required
def plan_certificate_xlsx(request, pk):
    plan = _drawn_or_404(request.user, pk)
    return _xlsx(excel.draw_certificate(**cert.certificate_context(plan)), f"spot-check-{plan.pk}-certificate.xlsx")


@login_required
def plan_certificate_pdf(request, pk):
    plan = _drawn_or_404(request.user, pk)
    return _pdf(cert.certificate_pdf(cert.certificate_context(plan)), f"spot-check-{plan.pk}-certificate.pdf")


@login_required
def plan_certificate_json(request, pk):
    plan = _drawn_or_404(request.user, pk)
    return _json(cert.certificate_document(plan), f"spot-check-{plan.pk}-certificate.json")


# ---- the public notice: anyone with the link, no login ---------------------------------------------------------


def _public_plan_or_404(token):
    plan = (
        SpotCheckPlan.objects.select_related("office", "drawn_by").filter(public_token=token).first() if token else None
    )
    if plan is None or not plan.snapshot:
        raise Http404
    return plan


def _public(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the link is the key: never pass it on
    return response


def notice(request, token):
    """抽签公告: the commitment and the whole frozen population, published before the witnessed numbers are taken;
    after the draw, the result and the JSON certificate too."""
    plan = _public_plan_or_404(token)
    ctx = cert.notice_context(plan)
    if plan.result:
        ctx |= {"certificate": cert.certificate_context(plan)}
    return _public(render(request, "flows/spotchecks/notice.html", ctx))


def notice_pdf(request, token):
    plan = _public_plan_or_404(token)
    return _public(_pdf(cert.notice_pdf(cert.notice_context(plan)), f"spot-check-{plan.pk}-notice.pdf"))


def notice_certificate_json(request, token):
    plan = _public_plan_or_404(token)
    if not plan.result:
        raise Http404
    return _public(_json(cert.certificate_document(plan), f"spot-check-{plan.pk}-certificate.json"))


@login_required
def plan_results_xlsx(request, pk):
    plan = _plan_or_404(request.user, pk)
    if not plan.result:
        raise Http404
    return _xlsx(excel.plan_results(plan, selectors.plan_results(plan)), f"spot-check-{plan.pk}-results.xlsx")


def _openable(user, results):
    """Mark the inspections this user may open: only those get a link (an inspector sees the whole plan's
    results but opens only their own inspections)."""
    for row in results["rows"]:
        row["may_open"] = access.can_view_inspection(user, row["inspection"])
    return results


@login_required
def inspection_detail(request, pk):
    insp = Inspection.objects.select_related("plan", "organisation").filter(pk=pk).first()
    if insp is None or not access.can_view_inspection(request.user, insp):
        raise Http404
    return render(
        request, "flows/inspections/detail.html", {"inspection": insp, "page": selectors.inspection_page(insp)}
    )


@login_required
def finding_evidence_download(request, pk):
    """Inspectors' evidence is served only here, under the same policy as the inspection itself."""
    ev = FindingEvidence.objects.select_related("finding__inspection__plan").filter(pk=pk).first()
    if ev is None or not access.can_view_inspection(request.user, ev.finding.inspection):
        raise Http404
    return private_file(ev.file, ev.original_name, ev.content_type)
