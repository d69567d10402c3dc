"""Rectification in depth (issue 20): one item's page (plan, progress, extensions, re-checks, history), the plan
and progress forms on it, and the cycle's re-check interval. Each view calls one service and redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows import selectors
from flows.policy import access
from flows.selectors import rectification as rectification_selectors
from flows.services import rectification as services
from flows.services.tasks import AlreadyHandled
from forms.rectification import PlanForm, ProgressForm, RecheckIntervalForm


def _item_or_404(user, pk):
    item = rectification_selectors.item_visible(user, pk)
    if item is None:
        raise Http404
    return item


def _errors(exc) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _page(request, item, *, plan_form=None, progress_form=None, errors=None, status=200):
    context = rectification_selectors.item_page(request.user, item)
    context.update(
        plan_form=plan_form or PlanForm(initial={"plan": item.plan}),
        progress_form=progress_form or ProgressForm(),
        errors=errors or {},
    )
    return render(request, "flows/rectification/item_detail.html", context, status=status)


@login_required
def item_detail(request, pk):
    return _page(request, _item_or_404(request.user, pk))


def _post(request, pk, form_class, call, done_message, form_name):
    item = _item_or_404(request.user, pk)
    form = form_class(request.POST)
    forms_kwargs = {form_name: form}
    if not form.is_valid():
        return _page(request, item, errors=form.errors, status=400, **forms_kwargs)
    try:
        call(item, form.cleaned_data)
    except ValidationError as exc:
        return _page(request, item, errors=_errors(exc), status=400, **forms_kwargs)
    except AlreadyHandled as exc:
        messages.warning(request, str(exc))
        return redirect("rectification_item", pk=item.pk)
    except PermissionDenied:
        raise Http404 from None  # the same answer as for an item one may not see at all
    messages.success(request, done_message)
    return redirect("rectification_item", pk=item.pk)


@login_required
@require_POST
def item_plan(request, pk):
    return _post(
        request,
        pk,
        PlanForm,
        lambda item, d: services.rectification_plan_save(item=item, by=request.user, plan=d["plan"]),
        _("The rectification plan has been saved."),
        "plan_form",
    )


@login_required
@require_POST
def item_progress(request, pk):
    return _post(
        request,
        pk,
        ProgressForm,
        lambda item, d: services.rectification_progress_add(item=item, by=request.user, on=d["on"], text=d["text"]),
        _("The progress report has been recorded."),
        "progress_form",
    )


@login_required
@require_POST
def cycle_recheck_interval(request, pk):
    cycle = selectors.cycles_for(request.user).filter(pk=pk).first()
    if cycle is None or not access.can_manage_cycle(request.user, cycle):
        raise Http404
    form = RecheckIntervalForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        days = form.cleaned_data["recheck_interval_days"]
        services.cycle_recheck_interval_set(cycle=cycle, by=request.user, days=days)
    except ValidationError as exc:
        for errs in _errors(exc).values():
            for e in errs:
                messages.error(request, e)
        return redirect("cycle_detail", pk=cycle.pk)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("The re-check interval has been saved."))
    return redirect("cycle_detail", pk=cycle.pk)
