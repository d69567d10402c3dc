"""The public ballot pages and the office's evaluation pages, through the test client."""

import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from flows.models import Ballot, CampaignState, Satisfaction, Stage, User
from flows.services import ballots as svc
from tests import cycle_helpers as h
from tests.ballot_helpers import mass_campaign

pytestmark = pytest.mark.django_db


def marks(c, value=Satisfaction.SATISFIED):
    return {f"m_{s.pk}_{d}": value for s in c.subjects.all() for d, _n in svc.dimensions_for(c)}


def test_a_voter_enters_a_code_votes_and_gets_a_receipt_without_logging_in(client, demo):
    c, a, officer = mass_campaign()
    _n, [code] = svc.tokens_issue(by=officer, campaign=c, count=1, group="群众代表")
    page = client.get(reverse("ballot_enter", args=[c.public_id]))
    assert page.status_code == 200 and "投票码" in page.content.decode()
    ballot = client.post(reverse("ballot_enter", args=[c.public_id]), {"code": code.lower()})
    assert ballot.status_code == 200 and "满意" in ballot.content.decode()
    missing = client.post(reverse("ballot_cast", args=[c.public_id]), {"code": code})
    assert missing.status_code == 400 and "作答" in missing.content.decode()
    receipt_page = client.post(reverse("ballot_cast", args=[c.public_id]), {"code": code} | marks(c))
    body = receipt_page.content.decode()
    assert receipt_page.status_code == 200 and "回执码" in body
    again = client.post(reverse("ballot_cast", args=[c.public_id]), {"code": code} | marks(c))
    assert again.status_code == 400 and "已经使用" in again.content.decode()
    assert Ballot.objects.filter(campaign=c).count() == 1


def test_a_ballot_refused_as_incomplete_comes_back_with_the_answers_chosen(client, demo):
    """A voter at a 述职评议会 who left one secretary unrated gets the ballot again with every answer already
    chosen still chosen: only the missing one is to be given."""
    import re

    from tests.meeting_helpers import new_meeting, submit_every_report

    meeting, officer, _second = new_meeting()
    submit_every_report(meeting)
    c = meeting.campaign
    svc.campaign_open(by=officer, campaign=c)
    _n, [code] = svc.tokens_issue(by=officer, campaign=c, count=1, group="参会人员")
    answers = [value for value, _label in svc.answers_for(c)]
    chosen = {name: answers[i % len(answers)] for i, name in enumerate(sorted(marks(c)))}
    missing = sorted(chosen)[-1]
    del chosen[missing]
    assert len(chosen) >= 2, "several reporters to rate"
    refused = client.post(reverse("ballot_cast", args=[c.public_id]), {"code": code} | chosen)
    page = refused.content.decode()
    assert refused.status_code == 400 and "作答" in page
    checked = dict(re.findall(r'name="(m_[^"]+)" value="([^"]+)" required checked', page))
    assert checked == chosen and missing not in checked
    assert not Ballot.objects.filter(campaign=c).exists()


def test_guessing_codes_is_slowed_down(client, demo, settings):
    settings.BALLOT_GUESS_LIMIT = 5
    c, _a, officer = mass_campaign()
    _n, [code] = svc.tokens_issue(by=officer, campaign=c, count=1, group="党员")
    url = reverse("ballot_enter", args=[c.public_id])
    for n in range(5):
        assert client.post(url, {"code": f"AAAAA-AAAA{n}"}).status_code == 400
    blocked = client.post(url, {"code": code})
    assert blocked.status_code == 429 and "稍后" in blocked.content.decode()


def test_an_unknown_campaign_is_a_404(client, demo):
    assert client.get(reverse("ballot_enter", args=["nope"])).status_code == 404


def test_results_are_published_after_the_close_and_a_receipt_can_be_checked(client, demo):
    c, a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=6, group="党员")
    receipts = [
        svc.ballot_cast(campaign=c, code=code, marks={(s.pk, ""): Satisfaction.SATISFIED for s in c.subjects.all()})
        for code in codes
    ]
    url = reverse("ballot_results", args=[c.public_id])
    assert svc.receipt_hash(receipts[0]) not in client.get(url).content.decode()
    svc.campaign_close(by=officer, campaign=c)
    body = client.get(url).content.decode()
    assert all(seal in body for seal in c.ballots.values_list("seal", flat=True))  # each ballot by its seal
    assert not any(svc.receipt_hash(r) in body for r in receipts)  # the receipts' own hashes are not needed
    receipts_list = body[body.index('class="receipts"') :]
    assert "满意" in receipts_list and "satisfied" not in receipts_list  # marks in words, not codes
    checked = client.post(url, {"receipt": receipts[2]}).content.decode()
    assert "已计入" in checked
    assert "未计入" in client.post(url, {"receipt": "ZZZZZ-ZZZZZ"}).content.decode()


def test_the_office_prepares_issues_opens_watches_and_closes(client, demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    officer = h.county_officer()
    client.force_login(officer)
    create = reverse("campaign_create") + f"?assessment={a.pk}"
    assert "东坪村" in client.get(create).content.decode()
    response = client.post(
        create,
        {
            "kind": "mass",
            "form": "satisfaction",
            "title": "东坪村群众评议",
            "closes_at": "2099-12-31T18:00",
            "k_threshold": 5,
        },
    )
    assert response.status_code == 302
    c = a.campaign_subjects.get().campaign
    download = client.post(reverse("campaign_issue", args=[c.pk]), {"count": 6, "group": "党员"})
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    pdf = next(n for n in archive.namelist() if n.endswith(".pdf"))
    xlsx = next(n for n in archive.namelist() if n.endswith(".xlsx"))
    assert archive.read(pdf).startswith(b"%PDF")
    rows = list(load_workbook(io.BytesIO(archive.read(xlsx)), read_only=True).active.iter_rows(values_only=True))
    codes = [r[1] for r in rows[3:]]
    assert len(codes) == 6 and all(len(code) == 11 for code in codes)
    assert client.post(reverse("campaign_open", args=[c.pk])).status_code == 302
    c.refresh_from_db()
    assert c.state == CampaignState.OPEN
    for code in codes[:5]:
        svc.ballot_cast(campaign=c, code=code, marks={(s.pk, ""): Satisfaction.BASICALLY for s in c.subjects.all()})
    live = client.get(reverse("campaign_turnout", args=[c.pk])).json()
    assert (live["voted"], live["issued"]) == (5, 6)
    assert client.post(reverse("campaign_close", args=[c.pk])).status_code == 302
    a.refresh_from_db()
    assert a.state == Stage.SUPERIOR_REVIEW and a.mass_score == 60


def test_office_pages_refuse_everyone_else(client, demo):
    c, _a, officer = mass_campaign()
    outsiders = [
        h.holder("JC-BH-LS-01", "secretary"),
        User.objects.get(username="shuji"),
        User.objects.get(username="ducha"),
    ]
    for user in outsiders:
        client.force_login(user)
        for name in ("campaign_detail", "campaign_turnout"):
            assert client.get(reverse(name, args=[c.pk])).status_code == 404
        for name in ("campaign_issue", "campaign_open", "campaign_close"):
            assert client.post(reverse(name, args=[c.pk]), {"count": 5, "group": "x"}).status_code == 404
        assert client.get(reverse("campaign_create")).status_code == 404
    c.refresh_from_db()
    assert c.state == CampaignState.OPEN and c.tokens.count() == 0


def test_a_leader_comments_by_name_and_others_cannot(client, demo):
    c, a, officer = mass_campaign()
    reviewer = h.reviewer_of(a)
    client.force_login(reviewer)
    url = reverse("campaign_comments", args=[c.pk])
    subject = c.subjects.get()
    assert client.post(url, {"subject": subject.pk, "comment": "班子团结，作风扎实"}).status_code == 302
    assert c.leader_comments.get().author == reviewer
    client.force_login(User.objects.get(username="dangyuan"))
    assert client.get(url).status_code == 404


def test_the_office_sees_no_running_tally_while_voting_is_open(client, demo):
    c, _a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=6, group="党员")
    for code in codes:
        svc.ballot_cast(campaign=c, code=code, marks={(s.pk, ""): Satisfaction.DISSATISFIED for s in c.subjects.all()})
    client.force_login(officer)
    body = client.get(reverse("campaign_detail", args=[c.pk])).content.decode()
    assert "投票结束后" in body and "0.00" not in body
    svc.campaign_close(by=officer, campaign=c)
    assert "0.00" in client.get(reverse("campaign_detail", args=[c.pk])).content.decode()


def test_a_report_meeting_belongs_to_the_office_the_officer_chooses(client, demo):
    from flows.models import Campaign, CampaignKind, OversightOffice

    officer = h.county_officer()
    client.force_login(officer)
    own = OversightOffice.objects.get(code="QS-ZZB")
    foreign = OversightOffice.objects.get(code="BH-ZZB")
    data = {
        "kind": CampaignKind.MEMBER_PEER,
        "form": "member_rating",
        "title": "东坪村党支部民主评议党员",
        "closes_at": "2099-12-31T18:00",
        "k_threshold": 5,
        "subjects": "JC-QS-HT-01",
    }
    refused = client.post(reverse("campaign_create"), data | {"office": foreign.pk})
    assert refused.status_code == 400 and not Campaign.objects.filter(title=data["title"]).exists()
    assert client.post(reverse("campaign_create"), data | {"office": own.pk}).status_code == 302
    c = Campaign.objects.get(title=data["title"])
    assert c.office == own and c.subjects.count() >= 2  # the branch's leaders, each rated


def test_a_report_meetings_appraisal_is_made_with_its_meeting_not_on_its_own(client, demo):
    """Ballots of a meeting made on the evaluation screen would reach no result: the kind is not offered there,
    and a forged post is refused with a pointer to where meetings are prepared."""
    from flows.models import Campaign, CampaignKind, OversightOffice

    officer = h.county_officer()
    client.force_login(officer)
    assert "述职评议会" not in client.get(reverse("campaign_create")).content.decode().split("<form", 1)[1]
    data = {
        "office": OversightOffice.objects.get(code="QS-ZZB").pk,
        "kind": CampaignKind.REPORT_MEETING,
        "form": "appraisal",
        "title": "单独的述职评议测评",
        "closes_at": "2099-12-31T18:00",
        "k_threshold": 5,
        "subjects": "JC-QS-HT",
    }
    refused = client.post(reverse("campaign_create"), data)
    assert refused.status_code == 400 and not Campaign.objects.filter(title=data["title"]).exists()
