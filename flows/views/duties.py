"""Duty lists (责任清单): the office publishes the cycle's template and watches who confirmed; an organisation's
secretary (or acting head) edits its list and yearly tasks and confirms it; the office may return it with a reason;
Excel export and import. The confirmation is also a task in the secretary's inbox (`DutyListConfirmView`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.excel.importers import duties as excel_duties
from flows.models import LEADERSHIP_ROLES, ExcelJob, Organisation, RoleAssignment
from flows.policy import access
from flows.selectors import duties as selectors
from flows.services import duties as services
from flows.services.tasks import AlreadyHandled
from flows.views.errors import error_text
from flows.views.steps import StepView
from forms.duties import DutyImportForm, LineFormSet, PublishForm, ReturnForm, split_codes, template_text

REFUSALS = (ValidationError, PermissionDenied, AlreadyHandled)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


def _refusal_to_form(exc, form) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, error_text(exc))


# ---- the office ---------------------------------------------------------------------------------------------------


@login_required
def duties_home(request):
    return render(request, "flows/duties/home.html", selectors.home(request.user))


def _cycle_run_by(request, pk):
    cycle = selectors.cycle_or_404(request.user, pk)
    if not access.can_manage_cycle(request.user, cycle):
        raise Http404
    return cycle


@login_required
def duty_publish(request, pk):
    cycle = _cycle_run_by(request, pk)
    defaults = services.DEFAULT_TEMPLATE_LINES
    initial = {
        "name": _("%(year)s duty lists of Party-building responsibility") % {"year": cycle.year},
        "secretary": template_text(defaults, "secretary"),
        "direct_charge": template_text(defaults, "direct_charge"),
        "member": template_text(defaults, "member"),
    }
    form = PublishForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.duty_template_publish(
                by=request.user, cycle=cycle, name=form.cleaned_data["name"], lines=form.lines()
            )
        except AlreadyHandled as exc:
            messages.info(request, str(exc))
            return redirect("duty_overview", pk=cycle.pk)
        except REFUSALS as exc:
            _refusal_to_form(exc, form)
        else:
            messages.success(
                request, _("The duty lists are published: each organisation has the task of confirming its own.")
            )
            return redirect("duty_overview", pk=cycle.pk)
    return render(
        request,
        "flows/duties/publish.html",
        {"cycle": cycle, "form": form, "codes": sorted(services.cycle_indicator_codes(cycle))},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def duty_overview(request, pk):
    cycle = selectors.cycle_or_404(request.user, pk)
    return render(request, "flows/duties/overview.html", selectors.overview(request.user, cycle))


# ---- one organisation's list ---------------------------------------------------------------------------------------


def _detail(request, dl, *, return_form=None, status=200):
    page = selectors.duty_list_page(request.user, dl)
    return render(
        request,
        "flows/duties/detail.html",
        {"dl": dl, "page": page, "return_form": return_form or ReturnForm()},
        status=status,
    )


@login_required
def duty_list_detail(request, pk):
    return _detail(request, selectors.duty_list_or_404(request.user, pk))


def _holder_choices(org):
    seen, out = set(), []
    for ra in (
        RoleAssignment.objects.current()
        .filter(organisation=org, role__in=LEADERSHIP_ROLES)
        .select_related("user")
        .order_by("role", "start")
    ):
        if ra.user_id in seen:
            continue
        seen.add(ra.user_id)
        out.append((ra.user_id, f"{ra.user.real_name or ra.user.username}（{ra.role_label()}）"))
    return out


def _indicator_ids(dl) -> dict:
    a = dl.cycle.assessments.filter(organisation_id=dl.organisation_id).select_related("template").first()
    return dict(a.template.indicators.values_list("code", "pk")) if a and a.template_id else {}


@login_required
def duty_list_edit(request, pk):
    dl = selectors.duty_list_or_404(request.user, pk)
    page = selectors.duty_list_page(request.user, dl)
    if not page["may_edit"]:
        raise Http404
    holders = _holder_choices(dl.organisation)
    leaders = RoleAssignment.objects.current().filter(organisation=dl.organisation, role__in=LEADERSHIP_ROLES)
    users = {ra.user_id: ra.user for ra in leaders.select_related("user")}
    codes = _indicator_ids(dl)
    initial = [
        {
            "kind": line.kind,
            "role": line.role,
            "area": line.area,
            "holder": line.holder_id,
            "text": line.text,
            "secretary_project": line.secretary_project,
            "due": line.due,
            "indicators": ", ".join(i.code for i in line.indicators.all()),
            "from_template": line.from_template_id,
        }
        for line in selectors.lines_of(dl)
    ]
    formset = LineFormSet(
        request.POST if request.method == "POST" else None,
        initial=initial,
        prefix="l",
        form_kwargs={"holders": holders},
    )
    if request.method == "POST" and formset.is_valid():
        lines, bad = [], False
        for row in formset.forms:
            d = row.cleaned_data
            if not d or not (d.get("text") or "").strip():
                continue  # an empty (or emptied) row is left out
            wanted = split_codes(d.get("indicators", ""))
            unknown = [c for c in wanted if c not in codes]
            if unknown:
                row.add_error("indicators", _("No indicator %(codes)s here.") % {"codes": "、".join(unknown)})
                bad = True
                continue
            lines.append(
                {
                    "kind": d["kind"],
                    "role": d["role"],
                    "area": d.get("area", ""),
                    "holder": users.get(d.get("holder")) if d.get("holder") else None,
                    "text": d["text"],
                    "secretary_project": d.get("secretary_project", False),
                    "due": d.get("due"),
                    "indicator_ids": [codes[c] for c in wanted],
                    "from_template": d.get("from_template"),
                }
            )
        if not bad:
            try:
                services.duty_list_save(duty_list=dl, by=request.user, lines=lines)
            except AlreadyHandled as exc:
                messages.info(request, str(exc))
                return redirect("duty_list_detail", pk=dl.pk)
            except REFUSALS as exc:
                formset._non_form_errors = formset.error_class(
                    [
                        m
                        for msgs in (exc.message_dict.values() if hasattr(exc, "error_dict") else [[error_text(exc)]])
                        for m in msgs
                    ]
                )
            else:
                messages.success(request, _("The duty list is saved. Confirm it when it is complete."))
                return redirect("duty_list_detail", pk=dl.pk)
    rows = []
    for n, row in enumerate(formset.forms, 1):
        for name in row.fields:
            row.fields[name].widget.attrs.setdefault("aria-label", f"{row.fields[name].label} {n}")
        rows.append(row)
    return render(
        request,
        "flows/duties/edit.html",
        {"dl": dl, "formset": formset, "rows": rows, "codes": sorted(codes)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def duty_list_confirm(request, pk):
    dl = selectors.duty_list_or_404(request.user, pk)
    try:
        services.duty_list_confirm(duty_list=dl, by=request.user)
    except AlreadyHandled as exc:
        messages.info(request, str(exc))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return _detail(request, dl, status=400)
    else:
        messages.success(request, _("The duty list is confirmed."))
    return redirect("duty_list_detail", pk=dl.pk)


@login_required
@require_POST
def duty_list_return(request, pk):
    dl = selectors.duty_list_or_404(request.user, pk)
    if not access.can_manage_cycle(request.user, dl.cycle):
        raise Http404
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.duty_list_return(duty_list=dl, by=request.user, reason=form.cleaned_data["reason"])
        except AlreadyHandled as exc:
            messages.info(request, str(exc))
            return redirect("duty_list_detail", pk=dl.pk)
        except REFUSALS as exc:
            _refusal_to_form(exc, form)
        else:
            messages.success(
                request, _("The duty list is returned; the organisation has the task of confirming it again.")
            )
            return redirect("duty_list_detail", pk=dl.pk)
    return _detail(request, dl, return_form=form, status=400)


# ---- Excel ---------------------------------------------------------------------------------------------------------


@login_required
def duty_list_export(request, pk):
    dl = selectors.duty_list_or_404(request.user, pk)
    data = excel_duties.export(
        [dl], title=f"{dl.organisation.name}责任清单", subtitle=f"{dl.cycle.name}　{dl.get_state_display()}"
    )
    return _xlsx(data, f"责任清单_{dl.organisation.code}_{dl.cycle.year}.xlsx")


@login_required
def duty_cycle_export(request, pk):
    """Every duty list of the cycle under a level (`?root=CODE`, default: all) that this user may see."""
    cycle = selectors.cycle_or_404(request.user, pk)
    root = None
    code = request.GET.get("root", "").strip()
    if code:
        root = Organisation.objects.filter(code=code).first()
        if root is None or not access.can_view_organisation(request.user, root):
            raise Http404
    lists = list(selectors.lists_for_export(request.user, cycle=cycle, root=root))
    where = root.name if root else cycle.office.scope.name
    data = excel_duties.export(lists, title=f"{where}责任清单", subtitle=cycle.name)
    return _xlsx(data, f"责任清单_{code or cycle.office.code}_{cycle.year}.xlsx")


@login_required
def duty_import(request, pk):
    cycle = _cycle_run_by(request, pk)
    form = DutyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = excel_duties.import_check(by=request.user, cycle=cycle, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            _refusal_to_form(exc, form)
        else:
            return redirect("duty_import_preview", pk=cycle.pk, job=job.pk)
    return render(
        request, "flows/duties/import.html", {"cycle": cycle, "form": form}, status=400 if form.errors else 200
    )


def _job_or_404(request, cycle, job) -> ExcelJob:
    found = ExcelJob.objects.filter(
        pk=job, created_by_id=request.user.pk, kind=excel_duties.KIND, params__cycle=cycle.pk
    ).first()
    if found is None:
        raise Http404
    return found


@login_required
def duty_import_preview(request, pk, job):
    cycle = _cycle_run_by(request, pk)
    found = _job_or_404(request, cycle, job)
    return render(request, "flows/duties/import_preview.html", {"cycle": cycle, "job": found, "report": found.report})


@login_required
@require_POST
def duty_import_confirm(request, pk, job):
    cycle = _cycle_run_by(request, pk)
    found = _job_or_404(request, cycle, job)
    try:
        report = excel_duties.import_confirm(by=request.user, job=found, cycle=cycle)
    except AlreadyHandled as exc:
        messages.info(request, str(exc))
        return redirect("duty_import_preview", pk=cycle.pk, job=found.pk)
    if report.applied:
        messages.success(request, _("The duty lines are imported."))
        return redirect("duty_overview", pk=cycle.pk)
    messages.error(request, _("Nothing was imported: the rows below need correcting."))
    return redirect("duty_import_preview", pk=cycle.pk, job=found.pk)


# ---- the task in the secretary's inbox -----------------------------------------------------------------------------


class DutyListConfirmView(StepView):
    """The task of confirming the organisation's duty list: the list as it stands, with a link to edit it."""

    template_name = "flows/duties/step_confirm.html"

    def subject(self):
        return self.request.task.process.duty_list

    def context(self, **extra):
        dl = self.subject()
        from flows.selectors.holders import may_pass_on

        return {
            "task": self.request.task,
            "node": self.request.task.flow_task,
            "dl": dl,
            "page": selectors.duty_list_page(self.request.user, dl),
            "pass_on": may_pass_on(self.request.user, self.request.task),
            **extra,
        }

    def act(self):
        services.duty_list_confirm(duty_list=self.subject(), by=self.request.user, activation=self.request.activation)
        return _("The duty list is confirmed.")
