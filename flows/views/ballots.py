"""The public ballot pages: no login, reached by scanning a code's QR or typing the code. Mobile first.

The voting code travels only in POST bodies (the QR code puts it after '#', which browsers never send), so
no server log ever sees a code; failed attempts per client are counted to stop guessing."""

import secrets

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from flows.ballot_door import ratelimit
from flows.ballot_door.workers import on_ballot_worker
from flows.domain import ballot_seal
from flows.models import AppraisalMark, CampaignState, MemberRating, Satisfaction
from flows.services import ballots as svc

BUCKET = "ballot-code"


def _campaign(public_id):
    campaign = svc.campaign_by_public_id(public_id)
    if campaign is None:
        raise Http404
    return campaign


def _refuse(request, campaign, message, status=400):
    return render(request, "flows/ballots/refused.html", {"campaign": campaign, "message": message}, status=status)


_receipt_pages: dict[tuple, tuple[str, tuple[str, str, str]]] = {}
_WORDS = dict(Satisfaction.choices) | dict(MemberRating.choices) | dict(AppraisalMark.choices)


def _marks_html(view, marks: dict) -> str:
    """The voter's own marks, in words, for their receipt page (escaped)."""
    named = len(view.dimensions) > 1
    items = []
    for subject in view.subjects:
        for dim, dim_name in view.dimensions:
            answer = _WORDS.get(marks.get((subject.pk, dim)), marks.get((subject.pk, dim)))
            what = f"{subject.label} · {dim_name}" if named else subject.label
            items.append(f"<li>{escape(what)}：<strong>{escape(str(answer))}</strong></li>")
    return "".join(items)


def _receipt_page(view, receipt: str, marks: dict) -> str:
    """The receipt page differs from voter to voter only in the receipt code, the voter's marks and their seal, so
    it is rendered once per campaign snapshot and language, around random markers, and each voter's (escaped)
    values are put in their places. It is rendered without the request: the page uses no context processor (no
    user, no messages, no form)."""
    key = (view.campaign.public_id, view.expires, get_language())
    cached = _receipt_pages.get(key)
    if cached is None:
        markers = tuple(f"receipt-{secrets.token_hex(16)}" for _n in range(3))
        html = render_to_string(
            "flows/ballots/receipt.html",
            {"campaign": view.campaign, "receipt": markers[0], "marks_html": markers[1], "seal": markers[2]},
        )
        if len(_receipt_pages) >= 256:
            _receipt_pages.clear()
        cached = _receipt_pages[key] = (html, markers)
    html, (m_receipt, m_marks, m_seal) = cached
    rows = [(subject, dim, value) for (subject, dim), value in marks.items()]
    sealed = ballot_seal.seal(view.campaign.public_id, svc.normalise_code(receipt), ballot_seal.marks_text(rows))
    return html.replace(m_receipt, escape(receipt)).replace(m_marks, _marks_html(view, marks)).replace(m_seal, sealed)


def _ballot_context(campaign, code, posted=None):
    """The ballot's questions: per subject, per dimension, the field's name and (a refused ballot shown again) the
    answer the voter had chosen, so that nothing chosen is lost."""
    posted = posted or {}
    dimensions = svc.dimensions_for(campaign)
    subjects = [
        {
            "label": subject.label,
            "questions": [
                {"name": f"m_{subject.pk}_{dim}", "title": title, "chosen": posted.get(f"m_{subject.pk}_{dim}")}
                for dim, title in dimensions
            ],
        }
        for subject in campaign.subjects.all()
    ]
    return {"campaign": campaign, "code": code, "subjects": subjects, "answers": svc.answers_for(campaign)}


@never_cache
@require_http_methods(["GET", "POST"])
@on_ballot_worker
def ballot_enter(request, public_id):
    """Type (or scan) the code; a valid unused code opens the ballot."""
    campaign = _campaign(public_id)
    if request.method == "GET":
        return render(request, "flows/ballots/enter.html", {"campaign": campaign})
    if ratelimit.blocked(request, BUCKET, settings.BALLOT_GUESS_LIMIT):
        return _refuse(request, campaign, _("Too many wrong codes from this device. Please wait a few minutes."), 429)
    code = svc.normalise_code(request.POST.get("code", ""))
    try:
        svc.check_code(campaign, code)
    except svc.BallotRefused as refusal:
        ratelimit.failed(request, BUCKET, settings.BALLOT_GUESS_WINDOW)
        return _refuse(request, campaign, str(refusal))
    return render(request, "flows/ballots/ballot.html", _ballot_context(campaign, svc.format_code(code)))


@never_cache
@require_http_methods(["POST"])
@on_ballot_worker
def ballot_cast(request, public_id):
    """The hot path of a voting day: the campaign comes from svc.campaign_for_casting (no query when recent), the
    cast is a few SQL statements, and the receipt page needs no context processors."""
    view = svc.campaign_for_casting(public_id)
    if view is None:
        raise Http404
    campaign = view.campaign
    if ratelimit.blocked(request, BUCKET, settings.BALLOT_GUESS_LIMIT):
        return _refuse(request, campaign, _("Too many wrong codes from this device. Please wait a few minutes."), 429)
    code = request.POST.get("code", "")
    marks = {}
    for subject in view.subjects:
        for dim, _name in view.dimensions:
            marks[(subject.pk, dim)] = request.POST.get(f"m_{subject.pk}_{dim}")
    try:
        receipt = svc.ballot_cast(
            campaign=campaign, code=code, marks=marks, subjects=view.subjects, dimensions=view.dimensions
        )
    except svc.BallotIncomplete as refusal:
        context = _ballot_context(campaign, code, request.POST) | {"error": str(refusal)}
        return render(request, "flows/ballots/ballot.html", context, status=400)
    except svc.BallotRefused as refusal:
        ratelimit.failed(request, BUCKET, settings.BALLOT_GUESS_WINDOW)
        return _refuse(request, campaign, str(refusal))
    return HttpResponse(_receipt_page(view, receipt, marks))


@never_cache
@require_http_methods(["GET", "POST"])
def ballot_results(request, public_id):
    """After the close: the tally (small groups hidden) and every receipt hash, so anyone can recount."""
    campaign = _campaign(public_id)
    context = {"campaign": campaign, "closed": campaign.state == CampaignState.CLOSED}
    if context["closed"]:
        # a mark in words, never its code
        words = dict(Satisfaction.choices) | dict(MemberRating.choices) | dict(AppraisalMark.choices)
        receipts = [
            r | {"marks": [(label, dim, str(words.get(value, value))) for label, dim, value in r["marks"]]}
            for r in svc.published_receipts(campaign)
        ]
        context |= {"tally": svc.tally(campaign), "receipts": receipts, "sealed": svc.sealed_count(campaign)}
        if request.method == "POST":
            receipt = request.POST.get("receipt", "")
            checked_hash = svc.receipt_hash(receipt)
            mine = next((r for r in receipts if r["receipt_hash"] == checked_hash), None)
            context |= {
                "checked": svc.format_code(svc.normalise_code(receipt)),
                "counted": mine is not None,
                "checked_line": mine["hash"] if mine else None,
                "my_marks": mine["marks"] if mine else None,
            }
    return render(request, "flows/ballots/results.html", context)


@never_cache
@require_http_methods(["GET"])
def ballot_results_file(request, public_id):
    """The closed count as a JSON file for a recount without the database (python -m zerenzhi_verify tally)."""
    campaign = _campaign(public_id)
    if campaign.state != CampaignState.CLOSED:
        raise Http404
    response = JsonResponse(svc.results_file(campaign), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="results-{campaign.public_id}.json"'
    return response
