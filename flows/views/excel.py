"""Excel round trip on screen: upload → preview (new, changed, unchanged, errors) → confirm; exports.

Imports always run as jobs (in-process on the embedded default, on a worker on the scale-out stack); an export
bigger than EXCEL_BACKGROUND_ROWS rows runs as a job too. A job is its uploader's alone: anyone else gets 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows import jobs
from flows.excel import exports
from flows.excel import jobs as services
from flows.models import ExcelJob, IndicatorTemplate
from flows.policy import access
from forms.excel import ImportForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOAD_TYPES = {  # a job's file by its name: the written report's background jobs make PDF and Word files too
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _job_or_404(user, pk) -> ExcelJob:
    job = ExcelJob.objects.filter(pk=pk, created_by_id=user.pk).first()
    if job is None:
        raise Http404
    return job


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
def excel_home(request):
    """Upload a workbook (POST) or see the imports and exports the user may make and their recent jobs."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_start(
                by=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            jobs.job_send("excel_import_check", job.pk)
            return redirect("excel_job", pk=job.pk)
    scope = access.scope_for(request.user)
    return render(
        request,
        "flows/excel/home.html",
        {
            "form": form,
            "jobs": ExcelJob.objects.filter(created_by=request.user)[:20],
            "officer": scope.superuser or bool(scope.officer_paths),
            "templates": IndicatorTemplate.objects.order_by("code", "-version")
            if scope.officer_paths or scope.superuser
            else [],
            "max_mb": settings.EXCEL_IMPORT_MAX_BYTES // (1024 * 1024),
            "score_sheets": exports.score_sheets_waiting(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def excel_job(request, pk):
    job = _job_or_404(request.user, pk)
    return render(
        request, "flows/excel/job.html", {"job": job, "progress": services.progress_of(job), "report": job.report}
    )


@login_required
def excel_job_status(request, pk):
    job = _job_or_404(request.user, pk)
    return JsonResponse(
        {
            "state": job.state,
            "label": job.status_label,  # 已中断，正在恢复 while a job whose worker died is being resumed
            "running": job.running,
            "interrupted": job.interrupted,
            **services.progress_of(job),
        }
    )


@login_required
@require_POST
def excel_job_confirm(request, pk):
    job = _job_or_404(request.user, pk)
    try:
        services.import_confirm(by=request.user, job=job)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("excel_job", pk=pk)
    jobs.job_send("excel_import_apply", job.pk)
    return redirect("excel_job", pk=pk)


@login_required
def excel_job_download(request, pk):
    """The export a job produced, or the copy of a refused workbook with its bad cells marked."""
    job = _job_or_404(request.user, pk)
    if not job.output:
        raise Http404
    response = FileResponse(job.output.open("rb"), as_attachment=True, filename=job.output_name or "workbook.xlsx")
    response["Content-Type"] = DOWNLOAD_TYPES.get(job.output_name.rsplit(".", 1)[-1], XLSX)
    response["Cache-Control"] = "no-store"
    return response


def _export(request, kind: str, params: dict):
    found = exports.rows_of(kind, request.user, params)
    if found is None:
        raise Http404
    _obj, rows = found
    filename = exports.EXPORT_NAMES[kind]
    if rows > settings.EXCEL_BACKGROUND_ROWS:
        job = services.export_start(by=request.user, kind=kind, params=params, filename=filename)
        jobs.job_send("excel_export", job.pk)
        messages.info(request, _("The export is being prepared; download it from this page when it is ready."))
        return redirect("excel_job", pk=job.pk)
    return _xlsx(exports.build(kind, request.user, params), filename)


@login_required
def excel_export_roster(request):
    return _export(request, "roster", {})


@login_required
def excel_export_indicators(request, pk):
    return _export(request, "indicators", {"template": pk})


@login_required
def excel_export_scores(request, pk):
    """The score sheet of a cycle: the assessments waiting for this user's score now; from an assessment's page
    (`?assessment=`), that assessment only."""
    params = {"cycle": pk}
    one = request.GET.get("assessment", "")
    if one:
        if not (one.isascii() and one.isdigit()):
            raise Http404
        params["assessment"] = int(one)
    return _export(request, "scores", params)


@login_required
def excel_export_rectification(request, pk):
    return _export(request, "rectification_ledger", {"cycle": pk})


@login_required
def excel_export_results(request, pk):
    return _export(request, "results_ledger", {"cycle": pk})


@login_required
def excel_export_cadres(request, pk):
    """干部抓党建工作考核结果 of a cycle, what an organisation department hands to its cadre section: every person's
    result for the cycle's office, the organisations they may act on for anyone else; `?level=` cuts it to one
    level of organisations (an unknown level is a 404, as for a cycle the user has nothing of)."""
    params = {"cycle": pk}
    level = request.GET.get("level", "")
    if level:
        params["level"] = level
    return _export(request, "cadre_ledger", params)


@login_required
def excel_export_tally(request, pk):
    return _export(request, "ballot_tally", {"campaign": pk})
