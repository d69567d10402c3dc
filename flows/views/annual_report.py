"""The annual written report (书面报告): choose organisation or subtree and format, download PDF or Excel.

Who may have which report is the access policy's answer (`access.can_download_annual_report`); anybody else,
and a cycle that assesses nothing there, gets the same 404 as a missing object. Both formats render the one
content structure of flows/reports/annual.py. A subtree of more than EXCEL_BACKGROUND_ROWS organisations is
rendered by the background export job (flows/excel/jobs.py): 10,000 organisations take 6.6 s as a
PDF and 1.4 s as Excel or Word on this machine when idle (23 s / 4.5 s under load; bench/annual_report.py), too
long for a request. The Word version (.docx) is for offices that edit the text before printing."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from flows import jobs
from flows.excel import exports
from flows.excel import jobs as excel_jobs
from flows.models import Organisation, ReviewCycle
from flows.policy import access
from flows.reports import formats
from flows.reports.annual import annual_report, report_title
from flows.reports.targets import report_targets


def _cycle_or_404(pk) -> ReviewCycle:
    cycle = ReviewCycle.objects.select_related("office", "office__scope", "scope_root").filter(pk=pk).first()
    if cycle is None:
        raise Http404
    return cycle


def _target(request, cycle):
    """The organisation and scope asked for (?org=CODE&scope=subtree), or the user's first report in the cycle."""
    code = request.GET.get("org", "").strip()
    subtree = request.GET.get("scope") == "subtree"
    if code:
        org = Organisation.objects.filter(code=code).first()
    else:
        first = next(iter(report_targets(request.user, cycle)), None)
        org, subtree = (first["organisation"], first["subtree"]) if first else (None, subtree)
    if org is None or not access.can_download_annual_report(request.user, org, subtree=subtree):
        raise Http404
    return org, subtree


def _filename(report, ext) -> str:
    return f"{report['title'].replace(' ', '')}{'（含所属党组织）' if report['subtree'] else ''}.{ext}"


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def annual_report_list(request):
    """Every report the user may download (nav 书面报告)."""
    return render(request, "flows/reports/list.html", {"targets": report_targets(request.user)})


@login_required
def annual_report_page(request, pk):
    """Choose organisation, scope and format; the contents at a glance. A subtree bigger than
    EXCEL_BACKGROUND_ROWS is not read for the page: its files are made by the background job."""
    cycle = _cycle_or_404(pk)
    org, subtree = _target(request, cycle)
    size = _subtree_size(request.user, cycle, org) if subtree else 1
    report = None
    if size <= settings.EXCEL_BACKGROUND_ROWS:
        report = annual_report(cycle=cycle, organisation=org, subtree=subtree, by=request.user)
        if report is None:  # the cycle assesses nothing there
            raise Http404
    return render(
        request,
        "flows/reports/annual.html",
        {
            "cycle": cycle,
            "org": org,
            "subtree": subtree,
            "title": report_title(org, cycle),
            "report": report,
            "size": size,
            "targets": report_targets(request.user, cycle),
        },
    )


def _subtree_size(user, cycle, org) -> int:
    """How many assessments a subtree report holds (404 when none, or when the policy says no)."""
    found = exports.rows_of("annual_report_pdf", user, {"cycle": cycle.pk, "org": org.code, "subtree": True})
    if found is None:
        raise Http404
    return found[1]


def _file(request, pk, ext: str):
    cycle = _cycle_or_404(pk)
    org, subtree = _target(request, cycle)
    if subtree and _subtree_size(request.user, cycle, org) > settings.EXCEL_BACKGROUND_ROWS:
        kind, params = f"annual_report_{ext}", {"cycle": cycle.pk, "org": org.code, "subtree": True}
        filename = f"{report_title(org, cycle).replace(' ', '')}（含所属党组织）.{ext}"
        job = excel_jobs.export_start(by=request.user, kind=kind, params=params, filename=filename)
        jobs.job_send("excel_export", job.pk)
        messages.info(request, _("The report is being prepared; download it from this page when it is ready."))
        return redirect("excel_job", pk=job.pk)
    report = annual_report(cycle=cycle, organisation=org, subtree=subtree, by=request.user)
    if report is None:
        raise Http404
    return _download(formats.render(report, ext), formats.FORMATS[ext][1], _filename(report, ext))


@login_required
def annual_report_pdf_download(request, pk):
    return _file(request, pk, "pdf")


@login_required
def annual_report_xlsx_download(request, pk):
    return _file(request, pk, "xlsx")


@login_required
def annual_report_docx_download(request, pk):
    return _file(request, pk, "docx")
