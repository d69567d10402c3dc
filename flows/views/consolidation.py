"""The consolidation of a weak-and-lax organisation (issue 20): the designation with its criteria, the period's page
(criteria, plan, milestones, progress, acceptance, lifting) and the secretary's milestone task.

Who sees what is `flows.policy.consolidation`: the superior level's office acts, the organisation's secretary
reports progress, the responsible leader and the work team see it; anyone else gets the same 404 as for a page
that does not exist. Each POST calls one service and redirects; a refusal shows the page again with what was typed
and the reason (status 400); a step already taken says so (409)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.models import ConsolidationMilestone, Organisation
from flows.policy import access
from flows.policy import consolidation as policy
from flows.selectors import consolidation as reads
from flows.services import classifications, consolidation
from flows.services.tasks import AlreadyHandled
from flows.views.steps import DraftSaved, StepView
from flows.views.tasks import already_handled
from forms import consolidation as forms


def _errors(exc):
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _with_errors(form, exc):
    for name, msgs in _errors(exc).items():
        form.add_error(name if name in form.fields else None, msgs)
    return form


def _people(user, org):
    return access.visible_people(user).order_by("real_name", "username")


def _page(request, period, *, status=200, **forms_given):
    data = reads.period_page(request.user, period)
    today = timezone.localdate()
    context = data | {
        "plan_form": forms_given.get("plan_form")
        or forms.PlanForm(
            people=_people(request.user, period.organisation),
            initial={
                "measures": data["plan"].measures if data["plan"] else "",
                "leader": data["plan"].leader_id if data["plan"] else None,
                "team": [t.person_id for t in data["team"]],
            },
        ),
        "milestone_form": forms_given.get("milestone_form") or forms.MilestoneForm(),
        "progress_form": forms_given.get("progress_form") or forms.ProgressForm(),
        "progress_for": forms_given.get("progress_for"),
        "acceptance_form": forms_given.get("acceptance_form") or forms.AcceptanceForm(initial={"on": today}),
        "lift_form": forms_given.get("lift_form") or forms.LiftForm(initial={"end": today}),
        "action_error": forms_given.get("action_error", ""),
    }
    return render(request, "flows/consolidation/period.html", context, status=status)


def _office_period_or_404(user, pk):
    period = reads.period_or_404(user, pk)
    if not policy.superior_office(user, period.organisation):
        raise Http404
    return period


@login_required
def period_detail(request, pk):
    return _page(request, reads.period_or_404(request.user, pk))


@login_required
def organisation_periods(request, code):
    org = access.organisation_or_404(request.user, code=code)
    periods = [p for p in reads.periods_of(org) if policy.may_see(request.user, p)]
    if not periods and not policy.superior_office(request.user, org):
        raise Http404
    return render(
        request,
        "flows/consolidation/periods.html",
        {"org": org, "periods": periods, "may_designate": policy.superior_office(request.user, org)},
    )


@login_required
def designate(request, code):
    org = Organisation.objects.filter(code=code).first()
    if (
        org is None
        or not access.can_view_organisation(request.user, org)
        or not policy.superior_office(request.user, org)
    ):
        raise Http404
    form = forms.DesignateForm(request.POST or None, initial={"start": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            period = classifications.weak_and_lax_designate(
                organisation=org,
                start=d["start"],
                reason=d["reason"],
                criteria=d["criteria"],
                other=d["other"],
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise Http404 from exc
            _with_errors(form, exc)
        else:
            messages.success(request, _("The organisation has been put on the weak-and-lax list."))
            return redirect("consolidation_period", pk=period.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "flows/consolidation/designate.html", {"org": org, "form": form}, status=status)


def _act(request, period, call, success, form_key=None, form=None):
    """Run one service; the page again with the form (what was typed kept) and the reason when refused."""
    try:
        call()
    except ValidationError as exc:
        if form is None:
            return _page(request, period, status=400, action_error=" ".join(exc.messages))
        return _page(request, period, status=400, **{form_key: _with_errors(form, exc)})
    except AlreadyHandled as exc:
        return already_handled(request, None, str(exc))
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, success)
    return redirect("consolidation_period", pk=period.pk)


@login_required
@require_POST
def plan_save(request, pk):
    period = _office_period_or_404(request.user, pk)
    form = forms.PlanForm(request.POST, people=_people(request.user, period.organisation))
    if not form.is_valid():
        return _page(request, period, status=400, plan_form=form)
    d = form.cleaned_data
    return _act(
        request,
        period,
        lambda: consolidation.plan_save(
            period=period,
            measures=d["measures"],
            leader=d["leader"],
            team=[(p, "") for p in d["team"]],
            by=request.user,
        ),
        _("The consolidation plan has been saved."),
        "plan_form",
        form,
    )


@login_required
@require_POST
def milestone_add(request, pk):
    period = _office_period_or_404(request.user, pk)
    form = forms.MilestoneForm(request.POST)
    plan = reads.plan_of(period)
    if plan is None:
        form.is_valid()
        form.add_error(None, _("Save the consolidation plan first."))
        return _page(request, period, status=400, milestone_form=form)
    if not form.is_valid():
        return _page(request, period, status=400, milestone_form=form)
    d = form.cleaned_data
    return _act(
        request,
        period,
        lambda: consolidation.milestone_add(plan=plan, title=d["title"], due=d["due"], by=request.user),
        _("The milestone has been added."),
        "milestone_form",
        form,
    )


@login_required
@require_POST
def plan_start(request, pk):
    period = _office_period_or_404(request.user, pk)
    plan = reads.plan_of(period)
    if plan is None:
        raise Http404
    return _act(
        request,
        period,
        lambda: consolidation.plan_start(plan=plan, by=request.user),
        _("The plan is in force: the secretary reports progress against its milestones."),
    )


@login_required
@require_POST
def progress(request, pk):
    milestone = ConsolidationMilestone.objects.select_related("plan__period__organisation").filter(pk=pk).first()
    if milestone is None or not policy.may_report(request.user, milestone.plan.period.organisation):
        raise Http404
    period = milestone.plan.period
    form = forms.ProgressForm(request.POST)
    if not form.is_valid():
        return _page(request, period, status=400, progress_form=form, progress_for=milestone.pk)
    d = form.cleaned_data
    try:
        consolidation.progress_report(milestone=milestone, text=d["text"], completes=d["completes"], by=request.user)
    except ValidationError as exc:
        return _page(request, period, status=400, progress_form=_with_errors(form, exc), progress_for=milestone.pk)
    except AlreadyHandled as exc:
        return already_handled(request, None, str(exc))
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("The progress has been reported."))
    return redirect("consolidation_period", pk=period.pk)


@login_required
@require_POST
def acceptance(request, pk):
    period = _office_period_or_404(request.user, pk)
    plan = reads.plan_of(period)
    if plan is None:
        raise Http404
    form = forms.AcceptanceForm(request.POST)
    if not form.is_valid():
        return _page(request, period, status=400, acceptance_form=form)
    d = form.cleaned_data
    return _act(
        request,
        period,
        lambda: consolidation.acceptance_record(
            plan=plan, passed=d["passed"], on=d["on"], reasons=d["reasons"], by=request.user
        ),
        _("The acceptance check has been recorded."),
        "acceptance_form",
        form,
    )


@login_required
@require_POST
def lift(request, pk):
    period = _office_period_or_404(request.user, pk)
    form = forms.LiftForm(request.POST)
    if not form.is_valid():
        return _page(request, period, status=400, lift_form=form)
    d = form.cleaned_data
    if period.end is not None:
        return already_handled(request, None, _("This designation has already been lifted."))
    return _act(
        request,
        period,
        lambda: classifications.weak_and_lax_lift(
            organisation=period.organisation, end=d["end"], reason=d["reason"], by=request.user
        ),
        _("The organisation has been taken off the weak-and-lax list."),
        "lift_form",
        form,
    )


class MilestoneReportView(StepView):
    """The secretary's task for one milestone: report progress, or that it is reached (which ends the task)."""

    template_name = "flows/consolidation/step_milestone.html"

    def subject(self):
        task = self.request.task
        return task.flow_task.subject(task)

    def context(self, **extra):
        form, errors = extra.get("form"), extra.get("errors") or {}
        if form is not None and form.is_bound:
            for name, msgs in errors.items():
                if name in form.fields and not form.has_error(name):
                    form.add_error(name, msgs)
        milestone = self.subject()
        return {
            "task": self.request.task,
            "node": self.request.task.flow_task,
            "milestone": milestone,
            "reports": list(milestone.reports.select_related("reported_by")),
            **extra,
        }

    def blank_form(self):
        return forms.ProgressForm()

    def act(self):
        d = self.valid_form(forms.ProgressForm(self.request.POST))
        consolidation.progress_report(
            milestone=self.subject(),
            text=d["text"],
            completes=d["completes"],
            by=self.request.user,
            activation=self.request.activation,
        )
        if not d["completes"]:
            raise DraftSaved(_("The progress has been reported."))
        return _("The milestone is reported reached.")
