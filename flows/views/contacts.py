"""Contact points and visits (联系点, 观摩 / 督导调研): a leader's own page with the record-a-visit form, an
organisation's visits (where a problem recorded earlier becomes a rectification item), and an office's page of the
organisations in its scope without a contact leader or a visit this year, with the ledger's export and import.

Every screen asks the policy (flows/policy/contacts.py) about the object; a refusal is the same 404 as for nothing."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows import jobs
from flows.excel import jobs as excel_jobs
from flows.excel import visits as ledger
from flows.models import OversightOffice
from flows.models.contacts import ContactPoint, VisitProblem
from flows.models.people import today
from flows.policy import access
from flows.policy import contacts as policy
from flows.selectors import contacts as selectors
from flows.services import contacts as services
from flows.services.tasks import AlreadyHandled
from flows.views.errors import error_text
from forms.contacts import ContactPointForm, ImportForm, RectifyForm, VisitForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

def _year(request) -> int:
    value = request.GET.get("year", "")
    this_year = today().year
    if value.isascii() and value.isdigit() and this_year - 10 <= int(value) <= this_year + 1:
        return int(value)
    return this_year


def _to_form(exc, form) -> None:
    """A service's refusal, at the form's field where it names one."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, error_text(exc))


# ---- a leader's own page --------------------------------------------------------------------------------------


def _mine(request, *, visit_form=None, point_form=None, status=200):
    year = today().year
    return render(
        request,
        "flows/contacts/mine.html",
        {
            "year": year,
            **selectors.my_contacts(request.user, year),
            "visit_form": visit_form or VisitForm(user=request.user, initial={"date": today()}),
            "point_form": point_form or ContactPointForm(user=request.user, prefix="point"),
            "offices": policy.offices_of(request.user),
        },
        status=status,
    )


@login_required
def contacts_mine(request):
    """我的联系点: the leader's contact points of this year, their visits, and the form recording a visit."""
    if not policy.is_leader(request.user):
        if policy.offices_of(request.user):  # an officer who leads nothing: the office's page (the menu's link)
            return redirect("contacts_offices")
        raise Http404
    if request.method != "POST":
        return _mine(request)
    form = VisitForm(request.POST, user=request.user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            visit = services.visit_record(
                by=request.user,
                organisation=d["organisation"],
                date=d["date"],
                kind=d["kind"],
                leaders=[request.user, *d["co_leaders"]],
                seen=d["seen"],
                problems=d["problems"],
                to_rectify=d["to_rectify"],
                due=d["due"],
            )
        except AlreadyHandled as exc:
            messages.info(request, str(exc))
            return redirect("contacts_mine")
        except (ValidationError, PermissionDenied) as exc:
            _to_form(exc, form)
        else:
            made = visit.problems.filter(item__isnull=False).count()
            messages.success(
                request,
                _("The visit to %(org)s is recorded; %(n)s problems became rectification items.")
                % {"org": visit.organisation.name, "n": made}
                if made
                else _("The visit to %(org)s is recorded.") % {"org": visit.organisation.name},
            )
            return redirect("contacts_mine")
    return _mine(request, visit_form=form, status=400)


@login_required
@require_POST
def contact_point_add(request):
    if not policy.is_leader(request.user):
        raise Http404
    form = ContactPointForm(request.POST, user=request.user, prefix="point")
    if form.is_valid():
        try:
            services.contact_point_add(
                by=request.user,
                leader=request.user,
                organisation=form.cleaned_data["organisation"],
                year=today().year,
                note=form.cleaned_data["note"],
            )
        except AlreadyHandled as exc:
            messages.info(request, str(exc))
            return redirect("contacts_mine")
        except (ValidationError, PermissionDenied) as exc:
            _to_form(exc, form)
        else:
            messages.success(request, _("The contact point is added."))
            return redirect("contacts_mine")
    return _mine(request, point_form=form, status=400)


@login_required
@require_POST
def contact_point_remove(request, pk):
    point = ContactPoint.objects.select_related("organisation").filter(pk=pk).first()
    if point is None or not (
        point.leader_id == request.user.pk or policy.may_enter_for(request.user, point.organisation)
    ):
        raise Http404
    try:
        services.contact_point_remove(by=request.user, point=point)
    except AlreadyHandled as exc:
        messages.info(request, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The contact point is removed."))
    return redirect("contacts_mine")


# ---- an organisation's visits -----------------------------------------------------------------------------------


def _org_or_404(user, code):
    org = access.organisation_or_404(user, code=code)
    if not policy.may_see_visits(user, org):
        raise Http404
    return org


def _org_page(request, org, *, rectify_for=None, rectify_form=None, status=200):
    page = selectors.organisation_visits(org)
    may_rectify = policy.may_enter_for(request.user, org) or policy.may_visit(request.user, org)
    for visit in page["visits"]:
        for problem in visit.problems.all():
            mine = rectify_for is not None and problem.pk == rectify_for
            problem.form = (
                rectify_form
                if mine
                else (RectifyForm(auto_id=f"p{problem.pk}_%s") if may_rectify and not problem.item_id else None)
            )
    return render(
        request,
        "flows/contacts/organisation.html",
        {"organisation": org, **page, "may_rectify": may_rectify, "open_assessment": services.open_assessment(org)},
        status=status,
    )


@login_required
def organisation_visits(request, code):
    return _org_page(request, _org_or_404(request.user, code))


@login_required
@require_POST
def visit_problem_rectify(request, pk):
    problem = VisitProblem.objects.select_related("visit__organisation").filter(pk=pk).first()
    if problem is None or not policy.may_see_visits(request.user, problem.visit.organisation):
        raise Http404
    org = problem.visit.organisation
    form = RectifyForm(request.POST, auto_id=f"p{problem.pk}_%s")
    if form.is_valid():
        try:
            services.visit_problem_rectify(by=request.user, problem=problem, due=form.cleaned_data["due"])
        except AlreadyHandled as exc:
            messages.info(request, str(exc))
            return redirect("contacts_organisation", code=org.code)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            _to_form(exc, form)
        else:
            messages.success(request, _("The problem is now a rectification item."))
            return redirect("contacts_organisation", code=org.code)
    return _org_page(request, org, rectify_for=problem.pk, rectify_form=form, status=400)


# ---- the office's page: gaps, export, import --------------------------------------------------------------------


def _office_or_404(user, pk) -> OversightOffice:
    office = OversightOffice.objects.select_related("scope").filter(pk=pk).first()
    if office is None or not policy.may_keep_ledger(user, office):
        raise Http404
    return office


@login_required
def contacts_offices(request):
    """The office's page, or the list of offices for someone who keeps several ledgers."""
    offices = policy.offices_of(request.user)
    if not offices:
        raise Http404
    if len(offices) == 1:
        return redirect("contacts_office", pk=offices[0].pk)
    return render(request, "flows/contacts/offices.html", {"offices": offices})


@login_required
def contacts_office(request, pk, *, import_form=None, status=200):
    office = _office_or_404(request.user, pk)
    year = _year(request)
    return render(
        request,
        "flows/contacts/office.html",
        {
            "office": office,
            "year": year,
            "years": range(today().year, today().year - 4, -1),
            **selectors.office_gaps(office, year),
            "import_form": import_form or ImportForm(),
            "max_mb": settings.EXCEL_IMPORT_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
def contacts_export(request, pk):
    office = _office_or_404(request.user, pk)
    year = _year(request)
    response = HttpResponse(ledger.ledger(office, year), content_type=XLSX)
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(f'联系点及走访督导台账{year}.xlsx')}"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def contacts_import(request, pk):
    """Upload the ledger: it is checked row by row as a job (the usual Excel page shows the preview and asks for
    the confirmation); nothing is written before that."""
    office = _office_or_404(request.user, pk)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = excel_jobs.import_start(by=request.user, kind="contacts", upload=form.cleaned_data["file"])
        except ValidationError as exc:
            _to_form(exc, form)
        else:
            jobs.job_send("excel_import_check", job.pk)
            return redirect("excel_job", pk=job.pk)
    return contacts_office(request, office.pk, import_form=form, status=400)
