"""Casting anonymous ballots with single-use codes; the tally, its small-group suppression, the close, receipts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from flows.models import Ballot, BallotMark, CampaignState, Satisfaction, Stage, VoterToken
from flows.services import ballots as svc
from tests import cycle_helpers as h
from tests.ballot_helpers import mass_campaign, vote

pytestmark = pytest.mark.django_db


def test_codes_are_random_and_stored_only_as_keyed_hashes(demo):
    c, _a, officer = mass_campaign()
    batch, codes = svc.tokens_issue(by=officer, campaign=c, count=50, group="党员")
    assert batch == 1 and len(set(codes)) == 50
    stored = set(VoterToken.objects.filter(campaign=c).values_list("code_hash", flat=True))
    assert not any(code.replace("-", "") in "".join(stored) for code in codes)
    assert svc.code_hash(c, codes[0]) in stored
    assert svc.code_hash(c, codes[0].lower().replace("-", " ")) in stored  # typed loosely, still the same code


def test_a_code_votes_once_and_the_receipt_is_counted(demo):
    c, _a, officer = mass_campaign()
    _b, codes = svc.tokens_issue(by=officer, campaign=c, count=6, group="党员")
    receipt = vote(c, codes[0])
    with pytest.raises(svc.BallotRefused) as err:
        vote(c, codes[0], Satisfaction.DISSATISFIED)
    assert "已经使用" in str(err.value) or "already been used" in str(err.value)
    assert Ballot.objects.filter(campaign=c).count() == 1
    assert svc.receipt_counted(c, receipt) and not svc.receipt_counted(c, codes[1])


def test_a_malformed_ballot_stores_nothing_and_keeps_the_code(demo):
    c, _a, officer = mass_campaign()
    _b, [code] = svc.tokens_issue(by=officer, campaign=c, count=1, group="党员")
    subject = c.subjects.get()
    for marks in ({}, {(subject.pk, ""): "very happy"}, {(subject.pk + 999, ""): Satisfaction.SATISFIED}):
        with pytest.raises(svc.BallotRefused):
            svc.ballot_cast(campaign=c, code=code, marks=marks)
    assert not Ballot.objects.filter(campaign=c).exists() and not VoterToken.objects.get(campaign=c).used
    vote(c, code)


def test_foreign_unknown_and_closed(demo):
    cycle = h.open_cycle()
    c1, _a, officer = mass_campaign(cycle=cycle)
    c2, _b, _o = mass_campaign(cycle=cycle, code="JC-QS-HT-02")
    _n, [code2] = svc.tokens_issue(by=officer, campaign=c2, count=1, group="党员")
    for code in (code2, "ABCDE-FGHJK", ""):
        with pytest.raises(svc.BallotRefused):
            vote(c1, code)
    _n, [code1] = svc.tokens_issue(by=officer, campaign=c1, count=1, group="党员")
    svc.campaign_close(by=officer, campaign=c1)
    c1.refresh_from_db()
    with pytest.raises(svc.BallotRefused) as err:
        vote(c1, code1)
    assert "结束" in str(err.value) or "closed" in str(err.value)
    assert not Ballot.objects.filter(campaign=c1).exists()


def test_a_draft_campaign_takes_no_votes_and_a_past_deadline_closes_it(demo):
    c, _a, officer = mass_campaign(open_=False)
    _n, [code] = svc.tokens_issue(by=officer, campaign=c, count=1, group="党员")
    with pytest.raises(svc.BallotRefused):
        vote(c, code)
    svc.campaign_open(by=officer, campaign=c)
    c.refresh_from_db()
    assert svc.campaigns_close_due(now=c.closes_at - datetime.timedelta(seconds=1)) == 0
    assert svc.campaigns_close_due(now=c.closes_at + datetime.timedelta(seconds=1)) == 1
    assert svc.campaigns_close_due(now=c.closes_at + datetime.timedelta(seconds=2)) == 0  # idempotent
    c.refresh_from_db()
    assert c.state == CampaignState.CLOSED


def test_small_groups_and_the_sibling_that_would_reveal_them_are_hidden(demo):
    c, _a, officer = mass_campaign(k=5)
    _n, members = svc.tokens_issue(by=officer, campaign=c, count=8, group="党员")
    _n, public = svc.tokens_issue(by=officer, campaign=c, count=3, group="群众代表")
    _n, clients = svc.tokens_issue(by=officer, campaign=c, count=6, group="服务对象")
    for code in members:
        vote(c, code, Satisfaction.SATISFIED)
    for code in public:
        vote(c, code, Satisfaction.DISSATISFIED)
    for code in clients:
        vote(c, code, Satisfaction.BASICALLY)
    t = svc.tally(c)
    shown = {g["group"]: g["n"] for g in t.groups}
    assert shown["群众代表"] is None  # 3 < k
    assert shown["服务对象"] is None  # the smallest visible sibling is hidden too: no subtraction from the total
    assert shown["党员"] == 8
    assert t.total_shown and t.ballots == 17
    # (8×100 + 6×60 + 3×0) / 17
    assert t.subjects[0]["score"] == Decimal("68.24")


def test_a_subject_with_fewer_than_k_ballots_gets_no_score(demo):
    c, _a, officer = mass_campaign(k=5)
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=4, group="党员")
    for code in codes:
        vote(c, code)
    t = svc.tally(c)
    assert t.subjects[0]["score"] is None and not t.total_shown and t.groups[0]["n"] is None


def test_k_is_never_below_three(demo):
    with pytest.raises(ValidationError):
        mass_campaign(k=2)


def test_closing_turns_the_tally_into_the_mass_score_and_moves_the_stage(demo):
    c, a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=10, group="党员")
    for code in codes[:5]:
        vote(c, code, Satisfaction.SATISFIED)
    for code in codes[5:]:
        vote(c, code, Satisfaction.BASICALLY)
    svc.campaign_close(by=officer, campaign=c)
    a.refresh_from_db()
    assert a.state == Stage.SUPERIOR_REVIEW and a.mass_score == Decimal("80.00")


def test_a_deadline_close_moves_the_stage_on_nobodys_behalf(demo):
    c, a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=5, group="党员")
    for code in codes:
        vote(c, code)
    svc.campaigns_close_due(now=timezone.now() + datetime.timedelta(days=4))
    a.refresh_from_db()
    assert a.state == Stage.SUPERIOR_REVIEW and a.mass_score == Decimal("100.00")


def test_published_receipts_allow_a_recount(demo):
    c, _a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=6, group="党员")
    receipts = [
        vote(c, code, Satisfaction.SATISFIED if i % 2 else Satisfaction.BASICALLY) for i, code in enumerate(codes)
    ]
    assert svc.published_receipts(c) == []  # nothing is published before the close
    svc.campaign_close(by=officer, campaign=c)
    published = svc.published_receipts(c)
    # each ballot is published by its seal (binding the evaluation, the receipt and the marks), sorted by it
    seal_of = dict(c.ballots.values_list("receipt_hash", "seal"))
    assert {p["hash"] for p in published} == {seal_of[svc.receipt_hash(r)] for r in receipts}
    assert [p["hash"] for p in published] == sorted(p["hash"] for p in published)
    recount = sum(1 for p in published for _label, _d, v in p["marks"] if v == Satisfaction.SATISFIED)
    assert recount == 3 == BallotMark.objects.filter(ballot__campaign=c, value=Satisfaction.SATISFIED).count()


def test_only_the_offices_officers_issue_codes_and_open(demo):
    from django.core.exceptions import PermissionDenied

    c, _a, _officer = mass_campaign(open_=False)
    stranger = h.holder("JC-BH-LS-01", "secretary")
    with pytest.raises(PermissionDenied):
        svc.tokens_issue(by=stranger, campaign=c, count=5, group="党员")
    with pytest.raises(PermissionDenied):
        svc.campaign_open(by=stranger, campaign=c)


def test_the_deadline_command_closes_what_is_due(demo):
    import io

    from django.core.management import call_command

    from flows.models import Campaign

    c, _a, _officer = mass_campaign()
    Campaign.objects.filter(pk=c.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    out = io.StringIO()
    call_command("close_due_evaluations", stdout=out)
    c.refresh_from_db()
    assert c.state == CampaignState.CLOSED and "closed 1" in out.getvalue()


def test_codes_use_every_symbol_of_the_alphabet_in_every_place(demo):
    c, _a, officer = mass_campaign()
    _b, codes = svc.tokens_issue(by=officer, campaign=c, count=2000, group="党员")
    plain = [code.replace("-", "") for code in codes]
    assert all(len(code) == svc.CODE_LENGTH for code in plain)
    for place in range(svc.CODE_LENGTH):
        assert {code[place] for code in plain} == set(svc.CODE_ALPHABET)
