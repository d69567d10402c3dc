from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows import jobs, selectors
from flows.domain import scoring
from flows.models import Assessment, Level, Publication, RatingSettlement, Sector, Stage
from flows.policy import access
from flows.selectors import results
from flows.services import assessments as assessment_services
from flows.services import cycles as services
from flows.services.indicators import templates_load_defaults
from forms.cycles import CycleForm


def _cycle_or_404(user, pk):
    cycle = selectors.cycles_for(user).filter(pk=pk).first()
    if cycle is None:
        raise Http404
    return cycle


@login_required
def cycle_list(request):
    managed = set(selectors.cycles_for(request.user).values_list("pk", flat=True))
    return render(
        request,
        "flows/cycles/list.html",
        {
            "cycles": selectors.dashboard_cycles_for(request.user),
            "managed": managed,
            "may_create": request.user.is_superuser or bool(access.scope_for(request.user).officer_paths),
        },
    )


@login_required
def cycle_create(request):
    if not (request.user.is_superuser or access.scope_for(request.user).officer_paths):
        raise Http404
    form = CycleForm(
        request.POST or None,
        user=request.user,
        initial=services.due_dates_for_year(2026) | {"year": 2026, "name": "2026年度基层党建工作责任制考核"},
    )
    if request.method == "POST" and form.is_valid():
        templates_load_defaults(by=request.user)
        d = form.cleaned_data
        fields = {f: d[f] for f in CycleForm.Meta.fields}
        try:
            cycle = services.cycle_create(
                by=request.user,
                office=d["office"],
                templates=services.default_cycle_templates(),
                scope_root=d["scope_code"],
                scope_sectors=d["scope_sectors"],
                scope_levels=d["scope_levels"],
                **fields,
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(field if field in form.fields else None, errs)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The cycle has been created as a draft."))
            return redirect("cycle_detail", pk=cycle.pk)
    return render(
        request,
        "flows/cycles/create.html",
        {"form": form, "assignment": _assignment(services.default_cycle_templates())},
        status=400 if form.errors else 200,
    )


def _assignment(templates: dict) -> list[dict]:
    """Which template a new cycle gives to whom: by sector and level (the most specific first)."""
    rows = [
        {
            "sector": Sector(sector).label if sector else "",
            "level": Level(level).label if level else "",
            "template": t,
            "total": t.total_points(),
        }
        for (sector, level), t in templates.items()
    ]
    return sorted(rows, key=lambda r: (not r["sector"], not r["level"], str(r["sector"]), str(r["level"])))


@login_required
def cycle_detail(request, pk):
    cycle = _cycle_or_404(request.user, pk)
    ranking = selectors.cycle_ranking(cycle, request.user)
    rag_filter = request.GET.get("rag", "") if request.GET.get("rag") in ("red", "yellow", "green") else ""
    stage = request.GET.get("stage", "") if request.GET.get("stage", "") in Stage.values else ""
    rag_counts, rag_rows = selectors.cycle_rag(cycle, request.user, rag_filter=rag_filter, stage=stage)
    return render(
        request,
        "flows/cycles/detail.html",
        {
            "cycle": cycle,
            "stages": selectors.cycle_stage_counts(cycle),
            "ranking": ranking,
            "settlement": RatingSettlement.objects.filter(cycle=cycle).first(),
            "over_cap": scoring.good_count_exceeds_cap(cycle, **results.good_and_rated(cycle.assessments.all())),
            "scope_size": services.cycle_scope(cycle).count(),
            "may_manage": access.can_manage_cycle(request.user, cycle),
            "templates": cycle.templates.select_related("template"),
            "launching": cycle.state == "open" and cycle.launch_done < cycle.launch_total,
            "rag_counts": rag_counts,
            "rag_rows": rag_rows,
            "rag_filter": rag_filter,
            "stage_filter": stage,
            "publication": Publication.objects.filter(cycle=cycle).first(),
            "report_root": cycle.scope_root or cycle.office.scope,
        },
    )


@login_required
@require_POST
def cycle_open(request, pk):
    cycle = _cycle_or_404(request.user, pk)
    try:
        services.cycle_open(by=request.user, cycle=cycle)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("cycle_detail", pk=pk)
    if jobs.job_send("launch_cycle", cycle.pk):
        messages.success(request, _("The cycle is open; assessments are being launched."))
    else:
        messages.warning(
            request,
            _(
                "The cycle is open. The job queue is unavailable just now: the assessments are launched "
                "automatically once it is back."
            ),
        )
    return redirect("cycle_detail", pk=pk)


@login_required
@require_POST
def cycle_close(request, pk):
    cycle = _cycle_or_404(request.user, pk)
    try:
        services.cycle_close(
            by=request.user, cycle=cycle, force=bool(request.POST.get("force")), reason=request.POST.get("reason", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The cycle has been closed."))
    return redirect("cycle_detail", pk=pk)


@login_required
def assessment_detail(request, pk):
    assessment = Assessment.objects.select_related("organisation", "cycle", "template").filter(pk=pk).first()
    if assessment is None or not access.can_view_organisation(request.user, assessment.organisation):
        raise Http404
    return render(
        request,
        "flows/assessments/detail.html",
        {
            "assessment": assessment,
            "page": selectors.assessment_page(request.user, assessment),
            "may_enter_social": assessment_services.may_enter_social_score(request.user, assessment),
        },
    )
