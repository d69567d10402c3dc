"""The oversight office's side of the evaluations: create, issue codes, set the voter groups' weights and the
minimum turnout (while prepared), watch turnout, open and close."""

import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from flows.excel import cells
from flows.models import Assessment, CampaignKind, CampaignState, Stage
from flows.policy import access
from flows.reports import printing
from flows.services import ballots as svc
from flows.views.errors import error_text
from forms.campaigns import CampaignForm, IssueForm, LeaderCommentForm, WeightsForm


def _campaign_or_404(user, pk):
    campaign = svc.campaigns_for(user).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


@login_required
def campaign_list(request):
    return render(
        request,
        "flows/campaigns/list.html",
        {"campaigns": svc.campaigns_for(request.user), "may_create": bool(access.offices_of(request.user))},
    )


@login_required
def campaign_create(request):
    offices = access.offices_of(request.user)
    if not offices:
        raise Http404
    assessment = None
    if request.GET.get("assessment", "").isdigit():
        assessment = (
            Assessment.objects.select_related("organisation", "cycle")
            .filter(pk=int(request.GET["assessment"]), cycle__office_id__in=offices, state=Stage.MASS_EVALUATION)
            .first()
        )
        if assessment is None:
            raise Http404
    initial = {"title": _("Mass evaluation of %(org)s") % {"org": assessment.organisation.name}} if assessment else {}
    form = CampaignForm(request.POST or None, initial=initial, office_ids=offices)
    if assessment is not None:
        form.fields["kind"].required = False  # a mass evaluation of this assessment: its cycle's office
    else:
        form.fields["office"].required = True
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if assessment is not None:
                campaign = svc.campaign_for_assessment(
                    by=request.user,
                    assessment=assessment,
                    closes_at=d["closes_at"],
                    form=d["form"],
                    k_threshold=d["k_threshold"],
                    min_turnout_percent=d["min_turnout_percent"],
                )
            else:
                office = d["office"]
                subjects = svc.subjects_from_codes(kind=d["kind"], codes=form.codes(), office=office)
                campaign = svc.campaign_create(
                    by=request.user,
                    office=office,
                    kind=d["kind"],
                    form=d["form"],
                    title=d["title"],
                    closes_at=d["closes_at"],
                    subjects=subjects,
                    k_threshold=d["k_threshold"],
                    min_turnout_percent=d["min_turnout_percent"],
                )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The evaluation has been prepared. Issue the voting codes, then open it."))
            return redirect("campaign_detail", pk=campaign.pk)
    return render(
        request,
        "flows/campaigns/create.html",
        {"form": form, "assessment": assessment},
        status=400 if form.errors else 200,
    )


def _detail(request, campaign, *, weights_form=None, status=200):
    groups = svc.group_weights(campaign)
    if weights_form is None and campaign.state == CampaignState.DRAFT:
        weights_form = WeightsForm(campaign=campaign, groups=groups)
    return render(
        request,
        "flows/campaigns/detail.html",
        {
            "campaign": campaign,
            "subjects": campaign.subjects.all(),
            "turnout": svc.turnout(campaign),
            "tally": svc.tally(campaign) if campaign.state == CampaignState.CLOSED else None,
            "weights": groups,
            "weights_form": weights_form,
            "turnout_check": svc.turnout_check(campaign),
            "issue_form": IssueForm(),
            "comment_form": LeaderCommentForm(),
            "leader_comments": campaign.leader_comments.select_related("author", "subject"),
            "ballot_url": request.build_absolute_uri(reverse("ballot_enter", args=[campaign.public_id])),
            "is_report_meeting": campaign.kind == CampaignKind.REPORT_MEETING,
        },
        status=status,
    )


@login_required
def campaign_detail(request, pk):
    return _detail(request, _campaign_or_404(request.user, pk))


@login_required
@require_POST
def campaign_weights(request, pk):
    """The office sets the voter groups' weights and the minimum turnout while the campaign is prepared."""
    campaign = _campaign_or_404(request.user, pk)
    if campaign.state != CampaignState.DRAFT:
        messages.error(
            request,
            _("The weights and the minimum turnout are fixed once voting has opened: they can no longer be changed."),
        )
        return redirect("campaign_detail", pk=pk)
    form = WeightsForm(request.POST, campaign=campaign, groups=svc.group_weights(campaign))
    if form.is_valid():
        try:
            svc.campaign_weights_set(
                by=request.user,
                campaign=campaign,
                weights=form.weights(),
                min_turnout_percent=form.cleaned_data["min_turnout_percent"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The weights and the minimum turnout are saved."))
            return redirect("campaign_detail", pk=pk)
    return _detail(request, campaign, weights_form=form, status=400)


@login_required
def campaign_turnout(request, pk):
    """Live turnout for the office's page (polled)."""
    return JsonResponse(svc.turnout(_campaign_or_404(request.user, pk)))


@login_required
@require_POST
def campaign_issue(request, pk):
    """Issue a batch of codes and download it at once: a PDF sheet of QR codes and an Excel list, zipped.
    The plain codes exist only in this download: only their keyed hashes are stored."""
    campaign = _campaign_or_404(request.user, pk)
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("campaign_detail", pk=pk)
    try:
        batch, codes = svc.tokens_issue(by=request.user, campaign=campaign, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("campaign_detail", pk=pk)
    url = request.build_absolute_uri(reverse("ballot_enter", args=[campaign.public_id]))
    meta = {
        "title": campaign.title,
        "group": form.cleaned_data["group"],
        "batch": batch,
        "codes": codes,
        "ballot_url": url,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"投票码-第{batch}批.pdf", printing.token_sheet(**meta))
        z.writestr(f"投票码-第{batch}批.xlsx", cells.token_list(**meta))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="codes-{campaign.public_id}-{batch}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def campaign_open(request, pk):
    campaign = _campaign_or_404(request.user, pk)
    try:
        svc.campaign_open(by=request.user, campaign=campaign)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Voting is open."))
    return redirect("campaign_detail", pk=pk)


@login_required
@require_POST
def campaign_close(request, pk):
    campaign = _campaign_or_404(request.user, pk)
    try:
        svc.campaign_close(by=request.user, campaign=campaign)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Voting is closed; the results are published."))
    return redirect("campaign_detail", pk=pk)


@login_required
def campaign_comments(request, pk):
    """领导点评: leaders of the leading organisation (and the office) comment on each subject, by name."""
    from flows.models import Campaign

    campaign = Campaign.objects.filter(pk=pk).first()
    subjects = (
        [s for s in campaign.subjects.select_related("organisation") if svc.may_comment(request.user, s)]
        if campaign
        else []
    )
    if not subjects:
        raise Http404
    form = LeaderCommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subject = next((s for s in subjects if s.pk == form.cleaned_data["subject"]), None)
        if subject is None:
            raise Http404
        svc.leader_comment_add(by=request.user, subject=subject, comment=form.cleaned_data["comment"])
        messages.success(request, _("Your comment has been recorded under your name."))
        return redirect("campaign_comments", pk=pk)
    comments = campaign.leader_comments.filter(subject__in=subjects).select_related("author", "subject")
    return render(
        request,
        "flows/campaigns/comments.html",
        {"campaign": campaign, "subjects": subjects, "comments": comments, "form": form},
    )
