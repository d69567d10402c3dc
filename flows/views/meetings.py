"""Report-and-review meetings (述职评议会): the list, the office's form that prepares one (the reporters proposed
from the organisations the holding level leads), the meeting's page, and the paper count of the appraisal typed by
one officer and confirmed by another. The steps themselves (reports, holding, comments, closing, confirming) are
tasks: see `meeting_steps`."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.models import (
    LEADERSHIP_ROLES,
    CycleState,
    MeetingReporter,
    MeetingState,
    Organisation,
    OversightOffice,
    ReportMeeting,
    ReviewCycle,
    Role,
    RoleAssignment,
)
from flows.policy import access
from flows.selectors import meetings as selectors
from flows.services import meetings as services
from flows.services.tasks import AlreadyHandled
from flows.views.errors import error_text
from forms.meetings import MeetingForm, PaperCountForm, ReporterFormSet

REFUSALS = (ValidationError, PermissionDenied, AlreadyHandled)


# ---- reads for the form ------------------------------------------------------------------------------------------


def _offices(user):
    """The offices this user is an officer of, each with its scope: the levels the user may hold a meeting for."""
    return list(
        OversightOffice.objects.filter(pk__in=access.offices_of(user)).select_related("scope").order_by("name", "pk")
    )


def _open_cycles(holder):
    """The open review cycles whose office's scope contains the holding level."""
    paths = [*holder.leading_paths(), holder.path]
    return ReviewCycle.objects.filter(state=CycleState.OPEN, office__scope__path__in=paths).order_by(
        "-year", "name", "pk"
    )


def _leaders(holder):
    """The holding level's current leaders (secretary first) as (user pk, label) choices, their users by pk, and the
    secretary's pk (the default commenter)."""
    rank = {role: n for n, role in enumerate(LEADERSHIP_ROLES)}
    assignments = sorted(
        RoleAssignment.objects.current().filter(organisation=holder, role__in=LEADERSHIP_ROLES).select_related("user"),
        key=lambda ra: (rank[ra.role], ra.user.real_name, ra.user.pk),
    )
    users, choices, secretary = {}, [], None
    for ra in assignments:
        if ra.role == Role.SECRETARY and secretary is None:
            secretary = ra.user.pk
        if ra.user.pk in users:
            continue
        users[ra.user.pk] = ra.user
        choices.append(
            (ra.user.pk, f"{ra.user.real_name or ra.user.username}（{ra.user.title or ra.get_role_display()}）")
        )
    return choices, users, secretary


def _proposals(holder) -> list[dict]:
    """Every organisation the holder leads directly with its current secretary (None where the post is vacant)."""
    children = list(Organisation.objects.filter(path__startswith=holder.path, depth=holder.depth + 1).order_by("path"))
    secretaries = {}
    for ra in (
        RoleAssignment.objects.current()
        .filter(organisation__in=children, role=Role.SECRETARY)
        .select_related("user")
        .order_by("start", "pk")
    ):
        secretaries[ra.organisation_id] = ra.user  # the latest appointment wins
    return [{"organisation": org, "person": secretaries.get(org.pk)} for org in children]


def _chosen_office(request, offices):
    value = request.POST.get("office") if request.method == "POST" else request.GET.get("office")
    if value:
        return next((o for o in offices if str(o.pk) == value), None)
    return offices[0] if len(offices) == 1 else None


def _refusal_to_form(exc, form) -> None:
    """A service's refusal, marked at the form's field where it names one."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields and field != "office" else None, msgs)
    else:
        form.add_error(None, error_text(exc))


def _chosen_reporters(formset, proposals, leader_users, cycle):
    """The ticked rows as the service's reporters, in speaking order; None (with errors marked) if a row is wrong.

    A secretary who has already reported on the cycle for the organisation is refused here: the service would take
    the meeting but could not confirm its results (a person has one result per cycle, organisation and duty)."""
    by_org = {p["organisation"].pk: p for p in proposals if p["person"] is not None}
    reported = {
        (r.person_id, r.organisation_id): r.meeting.title
        for r in MeetingReporter.objects.filter(meeting__cycle=cycle, organisation__in=list(by_org)).select_related(
            "meeting"
        )
    }
    chosen, orders, ok = [], {}, True
    for row in formset.forms:
        d = row.cleaned_data
        if not d.get("include"):
            continue
        proposal = by_org.get(d["organisation"])
        if proposal is None:
            row.add_error(None, _("This organisation is not among those proposed; reload the form."))
            ok = False
            continue
        earlier = reported.get((proposal["person"].pk, proposal["organisation"].pk))
        if earlier is not None:
            row.add_error(
                "include",
                _("%(name)s has already reported on this review cycle, at %(meeting)s.")
                % {"name": proposal["person"].real_name or proposal["person"].username, "meeting": earlier},
            )
            ok = False
            continue
        order = int(d["order"])
        if order in orders:
            row.add_error("order", _("Two reporters cannot share speaking order %(n)s.") % {"n": order})
            ok = False
            continue
        orders[order] = True
        chosen.append(
            (
                order,
                {
                    "person": proposal["person"],
                    "organisation": proposal["organisation"],
                    "commenter": leader_users[d["commenter"]],
                    "title": d["title"].strip(),
                },
            )
        )
    return [r for _order, r in sorted(chosen, key=lambda pair: pair[0])] if ok else None


# ---- the screens -------------------------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    return render(
        request,
        "flows/meetings/list.html",
        {"meetings": selectors.meetings_for(request.user), "may_create": bool(access.offices_of(request.user))},
    )


@login_required
def meeting_create(request):
    offices = _offices(request.user)
    if not offices:
        raise Http404
    office = _chosen_office(request, offices)
    if office is None:  # several offices: the level holding the meeting first, its reporters follow from it
        return render(request, "flows/meetings/create.html", {"offices": offices, "office": None})
    holder = office.scope
    cycles = _open_cycles(holder)
    first_cycle = cycles.first()
    leader_choices, leader_users, secretary = _leaders(holder)
    proposals = _proposals(holder)
    proposed = [p for p in proposals if p["person"] is not None]
    initial = {
        "office": office,
        "cycle": first_cycle,
        "attendees": _("Members of the Party committee, representatives of Party members and of the public"),
        "k_threshold": 5,
    }
    if first_cycle is not None:
        initial["title"] = _("%(org)s %(year)s: report-and-review meeting of secretaries on Party building") % {
            "org": holder.short_name or holder.name,
            "year": first_cycle.year,
        }
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(data, offices=OversightOffice.objects.filter(pk=office.pk), cycles=cycles, initial=initial)
    form.fields["office"].widget = forms.HiddenInput()
    formset = ReporterFormSet(
        data,
        prefix="r",
        initial=[
            {
                "organisation": p["organisation"].pk,
                "include": True,
                "order": n,
                "title": p["person"].title,
                "commenter": secretary,
            }
            for n, p in enumerate(proposed, 1)
        ],
        form_kwargs={"leaders": leader_choices},
    )
    if request.method == "POST":
        form_ok, rows_ok = form.is_valid(), formset.is_valid()
        reporters = (
            _chosen_reporters(formset, proposals, leader_users, form.cleaned_data["cycle"])
            if form_ok and rows_ok
            else None
        )
        if reporters is not None:
            d = form.cleaned_data
            try:
                meeting = services.meeting_create(
                    by=request.user,
                    cycle=d["cycle"],
                    holder=holder,
                    office=office,
                    title=d["title"],
                    date=d["date"],
                    place=d["place"],
                    attendees=d["attendees"],
                    reporters=reporters,
                    k_threshold=d["k_threshold"],
                )
            except (ValidationError, PermissionDenied) as exc:
                _refusal_to_form(exc, form)
            else:
                messages.success(
                    request,
                    _(
                        "The meeting is prepared: each reporter has the task of submitting the written report. "
                        "Issue the voting codes on the appraisal's page."
                    ),
                )
                return redirect("meeting_detail", pk=meeting.pk)
    rows = []
    by_org = {p["organisation"].pk: p for p in proposed}
    for n, row in enumerate(formset.forms):
        org_pk = row["organisation"].value()
        proposal = by_org.get(_int(org_pk)) or (proposed[n] if n < len(proposed) else None)
        if proposal is None:
            continue
        name = proposal["person"].real_name or proposal["person"].username
        for field, text in (
            ("include", _("%(name)s reports")),
            ("order", _("Speaking order of %(name)s")),
            ("title", _("Post of %(name)s")),
            ("commenter", _("Leader who comments on %(name)s")),
        ):
            row.fields[field].widget.attrs["aria-label"] = text % {"name": name}
        rows.append({"form": row, **proposal})
    refused = request.method == "POST"  # reaching here after a POST: something was refused
    return render(
        request,
        "flows/meetings/create.html",
        {
            "offices": offices,
            "office": office,
            "holder": holder,
            "form": form,
            "formset": formset,
            "rows": rows,
            "vacant": [p["organisation"] for p in proposals if p["person"] is None],
            "has_leaders": bool(leader_choices),
            "has_cycles": first_cycle is not None,
        },
        status=400 if refused else 200,
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _meeting_or_404(user, pk) -> ReportMeeting:
    meeting = ReportMeeting.objects.select_related("holder", "office", "cycle", "campaign").filter(pk=pk).first()
    if meeting is None or not access.may_see_meeting(user, meeting):
        raise Http404
    return meeting


def _detail(request, meeting, *, paper_form=None, paper_for=None, paper_error="", excuse=None, status=200):
    page = selectors.meeting_page(request.user, meeting)
    paper = []
    if meeting.state != MeetingState.HELD and (paper_error or paper_form is not None):  # no paper section to show it
        messages.error(request, paper_error or " ".join(e for errors in paper_form.errors.values() for e in errors))
    if page["runs"] and meeting.state == MeetingState.HELD:
        for row in page["rows"]:
            r = row["reporter"]
            if r.excused_at:
                continue
            mine = paper_for is not None and r.pk == paper_for
            form = paper_form if mine and paper_form is not None else None
            if form is None:
                form = PaperCountForm(initial=r.paper_counts, auto_id=f"paper{r.pk}_%s")
            paper.append(
                {
                    "reporter": r,
                    "form": form,
                    "waiting": row["paper_waiting"],
                    "typed_by_me": r.paper_entered_by_id == request.user.pk,
                    "confirmed": bool(r.paper_confirmed_by_id),
                    "error": paper_error if mine else "",
                }
            )
    return render(
        request,
        "flows/meetings/detail.html",
        {
            "meeting": meeting,
            "page": page,
            "stages": [
                {"label": label, "current": value == meeting.state, "done": n < _stage(meeting.state)}
                for n, (value, label) in enumerate(MeetingState.choices)
            ],
            "paper": paper,
            "excuse": excuse or {},
            "results": [row for row in page["rows"] if row["result"]],
        },
        status=status,
    )


def _stage(state) -> int:
    return [value for value, _label in MeetingState.choices].index(state)


@login_required
def meeting_detail(request, pk):
    return _detail(request, _meeting_or_404(request.user, pk))


def _paper_target(request, pk, reporter):
    """The meeting and the reporter whose paper count is typed: for the meeting's office only (others: 404)."""
    meeting = _meeting_or_404(request.user, pk)
    if not access.can_run_meeting(request.user, meeting):
        raise Http404
    row = meeting.reporters.select_related("person").filter(pk=reporter).first()
    if row is None:
        raise Http404
    return meeting, row


def _name(reporter) -> str:
    return reporter.person.real_name or reporter.person.username


@login_required
@require_POST
def paper_count_enter(request, pk, reporter):
    meeting, row = _paper_target(request, pk, reporter)
    form = PaperCountForm(request.POST, auto_id=f"paper{row.pk}_%s")
    form.is_valid()  # every count is optional text: the service reads and checks them
    try:
        services.paper_count_enter(reporter=row, by=request.user, counts=form.counts())
    except REFUSALS as exc:
        _refusal_to_form(exc, form)
        return _detail(request, meeting, paper_form=form, paper_for=row.pk, status=400)
    messages.success(
        request,
        _("The paper count for %(name)s is saved. A second officer of the office confirms it.") % {"name": _name(row)},
    )
    return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#paper")


@login_required
@require_POST
def paper_count_confirm(request, pk, reporter):
    meeting, row = _paper_target(request, pk, reporter)
    try:
        services.paper_count_confirm(reporter=row, by=request.user)
    except REFUSALS as exc:
        return _detail(request, meeting, paper_for=row.pk, paper_error=error_text(exc), status=400)
    messages.success(
        request, _("The paper count for %(name)s is confirmed: it counts in the appraisal.") % {"name": _name(row)}
    )
    return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#paper")


@login_required
@require_POST
def reporter_excuse(request, pk, reporter):
    """The office excuses a reporter from the meeting (请假) with the reason; a refusal keeps the typed reason."""
    meeting, row = _paper_target(request, pk, reporter)
    reason = request.POST.get("reason", "")[:1000]
    try:
        services.reporter_excuse(reporter=row, by=request.user, reason=reason)
    except REFUSALS as exc:
        excuse = {"for": row.pk, "error": error_text(exc), "reason": reason}
        return _detail(request, meeting, excuse=excuse, status=400)
    messages.success(
        request, _("%(name)s is excused from the meeting: no written report is expected.") % {"name": _name(row)}
    )
    return redirect(reverse("meeting_detail", args=[meeting.pk]))
