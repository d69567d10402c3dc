"""Voter groups carry weights and a minimum turnout applies before a mass score counts (issue 17, item 3).

The Chinese wording of the turnout sentence (参评率 32%，未达到最低参评率 50%，群众评议得分不计入) is checked by the
lead once the translations are merged; these tests check the numbers, the stored data and the refusals."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from flows.models import AuditEntry, CampaignState, Satisfaction, Stage, User
from flows.models.ballots import VoterGroup
from flows.services import ballots as svc
from tests import cycle_helpers as h
from tests.ballot_helpers import issue_groups, mass_campaign, vote

pytestmark = pytest.mark.django_db

HOSTILE = ["NaN", "-nan", "sNaN", "Infinity", "1e999", "1_0", "0x10", "abc"]


def _weights(c, **weights):
    return {g.name: g.weight for g in c.voter_groups.all()} | weights


def _close_audit(c):
    return AuditEntry.objects.get(action="campaign.close", subject_type="flows.campaign", subject_id=str(c.pk))


def test_issuing_codes_creates_each_voter_group_once_with_weight_one(demo):
    c, _a, officer = mass_campaign(open_=False)
    issue_groups(c, officer, {"党员": 3, "群众代表": 2})
    svc.tokens_issue(by=officer, campaign=c, count=2, group="党员")
    assert sorted(c.voter_groups.values_list("name", "weight")) == [("党员", Decimal(1)), ("群众代表", Decimal(1))]
    rows = {w["group"]: (w["issued"], w["weight"]) for w in svc.group_weights(c)}
    assert rows == {"党员": (5, Decimal(1)), "群众代表": (2, Decimal(1))}


def test_weights_change_the_score_as_computed_by_hand(demo):
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 5, "群众代表": 5})
    svc.campaign_weights_set(by=officer, campaign=c, weights={"党员": "2", "群众代表": "1"}, min_turnout_percent="50")
    svc.campaign_open(by=officer, campaign=c)
    for code in codes["党员"]:
        vote(c, code, Satisfaction.SATISFIED)
    for code in codes["群众代表"]:
        vote(c, code, Satisfaction.DISSATISFIED)
    # (2×100 + 1×0) / (2 + 1); unweighted it would be 50.00
    assert svc.tally(c).subjects[0]["score"] == Decimal("66.67")
    svc.campaign_close(by=officer, campaign=c)
    a.refresh_from_db()
    assert a.state == Stage.SUPERIOR_REVIEW and a.mass_score == Decimal("66.67")


def test_a_weight_is_the_weight_of_each_ballot_of_the_group(demo):
    """Unequal groups: 6 党员 × weight 2 all 满意, 10 群众代表 × weight 1 all 基本满意
    → (2·6·100 + 10·60) / (2·6 + 10)."""
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 6, "群众代表": 10})
    svc.campaign_weights_set(by=officer, campaign=c, weights={"党员": "2", "群众代表": "1"}, min_turnout_percent="")
    svc.campaign_open(by=officer, campaign=c)
    for code in codes["党员"]:
        vote(c, code, Satisfaction.SATISFIED)
    for code in codes["群众代表"]:
        vote(c, code, Satisfaction.BASICALLY)
    svc.campaign_close(by=officer, campaign=c)
    a.refresh_from_db()
    assert a.mass_score == Decimal("81.82")  # 1800 / 22


def test_groups_too_small_to_show_count_together_and_no_group_score_is_shown(client, demo):
    """党员 8 (weight 1, 满意), 群众代表 3 (weight 4, 不满意), 服务对象 6 (weight 1, 基本满意), k = 5: the two hidden
    groups count with their average weight (4·3 + 1·6) / 9 = 2, so (8·100 + 2·(6·60 + 3·0)) / (8 + 2·9)."""
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 8, "群众代表": 3, "服务对象": 6})
    svc.campaign_weights_set(
        by=officer, campaign=c, weights={"党员": "1", "群众代表": "4", "服务对象": "1"}, min_turnout_percent="0"
    )
    svc.campaign_open(by=officer, campaign=c)
    for group, value in (
        ("党员", Satisfaction.SATISFIED),
        ("群众代表", Satisfaction.DISSATISFIED),
        ("服务对象", Satisfaction.BASICALLY),
    ):
        for code in codes[group]:
            vote(c, code, value)
    svc.campaign_close(by=officer, campaign=c)
    a.refresh_from_db()
    assert a.mass_score == Decimal("58.46")  # 1520 / 26
    client.force_login(officer)
    page = client.get(reverse("campaign_detail", args=[c.pk])).content.decode()
    assert "58.46" in page
    # what a group's own score would be, were it shown: 群众代表 0.00, 服务对象 60.00, 党员 100.00
    assert "60.00" not in page and "100.00" not in page and "0.00<" not in page


def test_a_group_under_k_never_stands_alone_in_the_weighted_total(demo):
    """Two groups under k (1 and 2 ballots, k = 5) are pooled with the smallest shown group, so changing their
    weight cannot make the published score reveal their marks."""
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 6, "群众代表": 10, "服务对象": 1, "驻村干部": 2})
    svc.campaign_weights_set(
        by=officer,
        campaign=c,
        weights={"党员": "1", "群众代表": "1", "服务对象": "100", "驻村干部": "100"},
        min_turnout_percent="0",
    )
    svc.campaign_open(by=officer, campaign=c)
    for group, value in (
        ("党员", Satisfaction.SATISFIED),
        ("群众代表", Satisfaction.SATISFIED),
        ("服务对象", Satisfaction.DISSATISFIED),
        ("驻村干部", Satisfaction.DISSATISFIED),
    ):
        for code in codes[group]:
            vote(c, code, value)
    t = svc.tally(c)
    # pooled: 服务对象, 驻村干部 and 党员 (9 ballots) with weight (100·1 + 100·2 + 1·6) / 9 = 34; 群众代表 weight 1
    # (34·600 + 1·1000) / (34·9 + 10) = 21400 / 316
    assert t.subjects[0]["score"] == Decimal("67.72")
    assert {g["group"]: g["n"] for g in t.groups} == {"党员": 6, "群众代表": 10, "服务对象": None, "驻村干部": None}


def test_equal_weights_keep_the_mean_of_all_ballots(demo):
    c, _a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 5, "群众代表": 7})
    svc.campaign_open(by=officer, campaign=c)
    for code in codes["党员"]:
        vote(c, code, Satisfaction.SATISFIED)
    for code in codes["群众代表"]:
        vote(c, code, Satisfaction.BASICALLY)
    assert svc.tally(c).subjects[0]["score"] == Decimal("76.67")  # (500 + 420) / 12


def test_under_the_minimum_turnout_no_mass_score_counts_and_the_reason_is_recorded(client, demo):
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 25})
    svc.campaign_weights_set(by=officer, campaign=c, weights={"党员": "1"}, min_turnout_percent="50")
    svc.campaign_open(by=officer, campaign=c)
    for code in codes["党员"][:8]:  # 8 of 25 = 32 %
        vote(c, code, Satisfaction.SATISFIED)
    svc.campaign_close(by=officer, campaign=c)
    a.refresh_from_db()
    assert a.state == Stage.SUPERIOR_REVIEW and a.mass_score is None
    c.refresh_from_db()
    check = svc.turnout_check(c)
    assert (check["percent"], check["minimum"], check["met"]) == ("32", "50", False)
    comment = _close_audit(c).comment
    # the note first, then the sealed count (issue 22: the close's own row carries the digest)
    note, sealed = comment.split("\n")
    assert note == check["note"] and "32%" in note and "50%" in note and sealed.startswith("digest=")
    client.force_login(officer)
    page = client.get(reverse("campaign_detail", args=[c.pk])).content.decode()
    assert 'data-turnout-met="no"' in page and "32%" in page and "50%" in page
    assert check["note"] in page and "not-counted" in page


def test_at_the_minimum_turnout_the_score_counts(demo):
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 10})
    svc.campaign_weights_set(by=officer, campaign=c, weights={}, min_turnout_percent="50")
    svc.campaign_open(by=officer, campaign=c)
    for code in codes["党员"][:5]:  # exactly 50 %
        vote(c, code, Satisfaction.BASICALLY)
    svc.campaign_close(by=officer, campaign=c)
    a.refresh_from_db()
    c.refresh_from_db()
    assert a.mass_score == Decimal("60.00")
    assert svc.turnout_check(c)["met"] and "50%" in _close_audit(c).comment


def test_without_a_minimum_the_close_is_as_before(demo):
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 100})
    svc.campaign_open(by=officer, campaign=c)
    for code in codes["党员"][:5]:
        vote(c, code)
    svc.campaign_close(by=officer, campaign=c)
    a.refresh_from_db()
    assert (
        c.min_turnout_percent == 0
        and a.mass_score == Decimal("100.00")
        and _close_audit(c).comment.startswith("digest=")
    )


def test_the_scheduled_close_applies_the_minimum_too(demo):
    c, a, officer = mass_campaign(open_=False)
    codes = issue_groups(c, officer, {"党员": 20})
    svc.campaign_weights_set(by=officer, campaign=c, weights={}, min_turnout_percent="66.7")
    svc.campaign_open(by=officer, campaign=c)
    for code in codes["党员"][:13]:  # 65 %
        vote(c, code)
    assert svc.campaigns_close_due(now=c.closes_at + datetime.timedelta(seconds=1)) == 1
    a.refresh_from_db()
    assert a.mass_score is None and "66.7%" in _close_audit(c).comment


def test_weights_and_minimum_are_frozen_once_voting_opens(client, demo):
    c, _a, officer = mass_campaign(open_=False)
    issue_groups(c, officer, {"党员": 5})
    svc.campaign_open(by=officer, campaign=c)
    with pytest.raises(ValidationError) as refused:
        svc.campaign_weights_set(by=officer, campaign=c, weights={"党员": "3"}, min_turnout_percent="10")
    assert refused.value.messages
    group = c.voter_groups.get()
    client.force_login(officer)
    response = client.post(
        reverse("campaign_weights", args=[c.pk]), {f"weight_{group.pk}": "3", "min_turnout_percent": "10"}
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.voter_groups.get().weight == 1 and c.min_turnout_percent == 0
    page = client.get(reverse("campaign_detail", args=[c.pk])).content.decode()
    assert f'name="weight_{group.pk}"' not in page  # shown, not editable
    # a group first issued codes after opening counts with weight 1
    svc.tokens_issue(by=officer, campaign=c, count=2, group="群众代表")
    assert c.voter_groups.get(name="群众代表").weight == 1


def test_the_office_edits_weights_on_the_campaign_page(client, demo):
    c, _a, officer = mass_campaign(open_=False)
    issue_groups(c, officer, {"党员": 5, "群众代表": 5})
    members, public = c.voter_groups.get(name="党员"), c.voter_groups.get(name="群众代表")
    client.force_login(officer)
    page = client.get(reverse("campaign_detail", args=[c.pk])).content.decode()
    assert f'name="weight_{members.pk}"' in page and 'name="min_turnout_percent"' in page
    response = client.post(
        reverse("campaign_weights", args=[c.pk]),
        {f"weight_{members.pk}": "２", f"weight_{public.pk}": "0.5", "min_turnout_percent": "６０"},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert _weights(c) == {"党员": Decimal(2), "群众代表": Decimal("0.5")} and c.min_turnout_percent == 60
    audit = AuditEntry.objects.filter(action="campaign.weights", subject_id=str(c.pk)).get()
    assert "党员 × 2" in audit.to_value and "群众代表 × 0.5" in audit.to_value and "60%" in audit.to_value


@pytest.mark.parametrize("hostile", HOSTILE + ["0", "-1", "101", "1.234"])
def test_hostile_weights_are_refused_with_the_group_named(client, demo, hostile):
    c, _a, officer = mass_campaign(open_=False)
    issue_groups(c, officer, {"党员": 5, "群众代表": 5})
    members, public = c.voter_groups.get(name="党员"), c.voter_groups.get(name="群众代表")
    client.force_login(officer)
    response = client.post(
        reverse("campaign_weights", args=[c.pk]),
        {f"weight_{members.pk}": "2", f"weight_{public.pk}": hostile, "min_turnout_percent": "50"},
    )
    assert response.status_code == 400
    errors = response.context["weights_form"].errors
    assert list(errors) == [f"weight_{public.pk}"] and "群众代表" in errors[f"weight_{public.pk}"][0]
    c.refresh_from_db()
    assert _weights(c) == {"党员": 1, "群众代表": 1} and c.min_turnout_percent == 0
    with pytest.raises(ValidationError) as refused:
        svc.campaign_weights_set(by=officer, campaign=c, weights={"群众代表": hostile}, min_turnout_percent="0")
    assert "群众代表" in " ".join(refused.value.messages)
    assert _weights(c) == {"党员": 1, "群众代表": 1}


@pytest.mark.parametrize("hostile", HOSTILE + ["-1", "100.1", "50.55"])
def test_hostile_minimum_turnout_is_refused_with_the_field_named(client, demo, hostile):
    c, a, officer = mass_campaign(open_=False)
    issue_groups(c, officer, {"党员": 5})
    group = c.voter_groups.get()
    client.force_login(officer)
    response = client.post(
        reverse("campaign_weights", args=[c.pk]), {f"weight_{group.pk}": "2", "min_turnout_percent": hostile}
    )
    assert response.status_code == 400
    form = response.context["weights_form"]
    label = str(form.fields["min_turnout_percent"].label)
    assert list(form.errors) == ["min_turnout_percent"] and label in form.errors["min_turnout_percent"][0]
    c.refresh_from_db()
    assert c.min_turnout_percent == 0 and c.voter_groups.get().weight == 1
    with pytest.raises(ValidationError) as refused:
        svc.campaign_weights_set(by=officer, campaign=c, weights={}, min_turnout_percent=hostile)
    assert label in " ".join(refused.value.messages)


@pytest.mark.parametrize("hostile", ["NaN", "Infinity", "1e999", "0x10", "101"])
def test_hostile_minimum_turnout_is_refused_when_the_campaign_is_created(client, demo, hostile):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    client.force_login(h.county_officer())
    response = client.post(
        reverse("campaign_create") + f"?assessment={a.pk}",
        {
            "form": "satisfaction",
            "title": "东坪村群众评议",
            "closes_at": "2099-12-31T18:00",
            "k_threshold": 5,
            "min_turnout_percent": hostile,
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert str(form.fields["min_turnout_percent"].label) in form.errors["min_turnout_percent"][0]
    assert not a.campaign_subjects.exists()
    with pytest.raises(ValidationError):
        svc.campaign_for_assessment(
            by=h.county_officer(),
            assessment=a,
            closes_at=timezone.now() + datetime.timedelta(days=3),
            min_turnout_percent=hostile,
        )


def test_the_create_form_suggests_a_minimum_and_stores_it(client, demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    client.force_login(h.county_officer())
    create = reverse("campaign_create") + f"?assessment={a.pk}"
    assert 'name="min_turnout_percent" value="50"' in client.get(create).content.decode()
    data = {"form": "satisfaction", "title": "东坪村群众评议", "closes_at": "2099-12-31T18:00", "k_threshold": 5}
    assert client.post(create, data | {"min_turnout_percent": "６６.７"}).status_code == 302
    assert a.campaign_subjects.get().campaign.min_turnout_percent == Decimal("66.7")


def test_wrong_users_are_refused_on_the_weights_page(client, demo):
    c, _a, officer = mass_campaign(open_=False)
    issue_groups(c, officer, {"党员": 5})
    group = c.voter_groups.get()
    outsiders = [
        h.holder("JC-BH-LS-01", "secretary"),
        User.objects.get(username="shuji"),
        User.objects.get(username="ducha"),
    ]
    for user in outsiders:
        client.force_login(user)
        url = reverse("campaign_weights", args=[c.pk])
        assert client.post(url, {f"weight_{group.pk}": "9", "min_turnout_percent": "90"}).status_code == 404
        assert client.get(url).status_code in (404, 405)
        with pytest.raises(PermissionDenied):
            svc.campaign_weights_set(by=user, campaign=c, weights={"党员": "9"}, min_turnout_percent="90")
    client.logout()
    assert client.post(reverse("campaign_weights", args=[c.pk]), {"min_turnout_percent": "90"}).status_code == 302
    c.refresh_from_db()
    assert c.voter_groups.get().weight == 1 and c.min_turnout_percent == 0 and c.state == CampaignState.DRAFT


def test_voter_group_weights_are_checked_by_the_database_too(demo):
    from django.db import IntegrityError, transaction

    c, _a, officer = mass_campaign(open_=False)
    issue_groups(c, officer, {"党员": 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        VoterGroup.objects.filter(campaign=c).update(weight=0)
