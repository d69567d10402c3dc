"""Results people can trust (issue 17): a draft review is no rating anywhere results are shown, the office settles
the ratings under the cap before publishing (等次审定), every weighted input has a way in, hostile numbers are
refused with the field named, and a rating corrected later follows through to that year's classification."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows import selectors
from flows.excel.ledgers import results_ledger
from flows.flows import RatingSettlementFlow
from flows.models import (
    AuditEntry,
    ClassificationRecord,
    Outcome,
    Publication,
    Rating,
    RatingChange,
    RatingSettlement,
    RatingSource,
    SettlementState,
    Stage,
    User,
)
from flows.reports.annual import _sentences, annual_report
from flows.selectors import dashboards, results
from flows.services import assessments as svc
from flows.services import cycles as cycle_svc
from flows.services import publications as pub_svc
from flows.services import results as results_svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db

HOSTILE = ["NaN", "-nan", "sNaN", "Infinity", "-Infinity", "1e999", "1e2", "1_0", "0x10", "８５abc", "--5", "5.5.5"]


def villages(cycle, n):
    return [a.organisation.code for a in cycle.assessments.select_related("organisation").order_by("pk")[:n]]


@pytest.fixture
def three(demo):
    """A cycle with a 50% cap on 好: two villages reviewed 好 (92.60), the third through to its superior review."""
    cycle = h.open_cycle(good_cap_percent=Decimal(50))
    first, second, third = villages(cycle, 3)
    for code in (first, second):
        h.review(h.through_to_review(cycle, code), fraction=Decimal("0.95"), outcome=Outcome.NONE)
    waiting = h.through_to_review(cycle, third)
    return cycle, first, second, waiting


def save_draft(a, fraction=Decimal("0.95")):
    reviewer = h.reviewer_of(a)
    svc.review_save(assessment=a, by=reviewer, scores=h.full_self_scores(a, fraction), comment="草稿")
    return reviewer


def test_a_saved_draft_review_is_no_rating_on_any_surface(three):
    cycle, first, _second, a = three
    officer = h.county_officer()
    save_draft(a)
    a.refresh_from_db()
    assert (a.rating, a.combined_score, a.superior_score, a.state) == ("", None, None, Stage.SUPERIOR_REVIEW)
    # the reviewer sees what the draft would give, marked as a draft
    draft = results.draft_result(a)
    assert draft.rating == Rating.GOOD and draft.combined_score == Decimal("92.60")

    # the cycle dashboard: 等次分布, rated count and ranking
    d = dashboards.cycle_dashboard(cycle, officer, dashboards.Filters())
    assert d["rated"] == 2 and {r["rating"]: r["n"] for r in d["ratings"]}[Rating.GOOD] == 2
    assert a.pk not in [x.pk for x in d["ranking"]]
    # the cycle page's ranking
    assert a.pk not in [x.pk for x in selectors.cycle_ranking(cycle, officer)]
    # the written report: counted, ranked, and its row shows no rating
    report = annual_report(cycle=cycle, organisation=cycle.office.scope, subtree=True, by=officer)
    body = report["subtree"]
    assert body["rated"] == 2 and a.organisation.name not in [r["name"] for r in body["ranking"]]
    [row] = [r for r in body["rows"] if r["code"] == a.organisation.code]
    assert (row["rating"], row["combined"], row["superior"]) == ("", None, None)
    # the results ledger (Excel): the row is there, with its stage, without a rating
    ws = load_workbook(io.BytesIO(results_ledger(cycle))).active
    [cells] = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True) if a.organisation.name in r]
    assert "上级考评" in " ".join(map(str, cells)) and not {"好", "较好", "一般", "差"} & set(map(str, cells))
    # settling lists only results
    results_svc.settlement_start(cycle=cycle, by=officer)
    page = results.settlement_page(RatingSettlement.objects.get(cycle=cycle))
    assert {r.organisation.code for r in page["rows"]} == {first, _second} and page["waiting"] >= 1

    # once submitted, it counts everywhere
    svc.review_submit(assessment=a, by=h.reviewer_of(a), outcome=Outcome.NONE)
    a.refresh_from_db()
    assert a.rating == Rating.GOOD and a.combined_score == Decimal("92.60") and results.is_result(a)
    d = dashboards.cycle_dashboard(cycle, officer, dashboards.Filters())
    assert d["rated"] == 3 and a.pk in [x.pk for x in d["ranking"]]


def test_closing_a_cycle_records_no_classification_from_a_draft(three):
    cycle, first, _second, a = three
    save_draft(a)
    cycle_svc.cycle_close(by=h.county_officer(), cycle=cycle, force=True, reason="年终截止")
    recorded = set(ClassificationRecord.objects.filter(year=cycle.year).values_list("organisation__code", flat=True))
    assert first in recorded and a.organisation.code not in recorded


def test_publishing_waits_for_the_settling_and_over_the_cap_needs_a_reason(three, client):
    cycle, first, second, a = three
    officer = h.county_officer()
    save_draft(a)
    svc.review_submit(assessment=a, by=h.reviewer_of(a), outcome=Outcome.NONE)
    with pytest.raises(ValidationError, match="等次审定"):
        pub_svc.publication_open(by=officer, cycle=cycle)
    with transaction.atomic():
        settlement = results_svc.settlement_start(cycle=cycle, by=officer)
    [task] = Task.objects.filter(process=settlement.process, status=STATUS.NEW)
    assert task.flow_task == RatingSettlementFlow.settle
    assert task in [r["task"] for r in selectors.queue(officer)]
    assert task not in [r["task"] for r in selectors.queue(User.objects.get(username="zuzhibu"))]  # not their cycle
    with pytest.raises(PermissionDenied):
        results_svc.ratings_settle(settlement=settlement, by=User.objects.get(username="zuzhibu"), lowered={})

    # 3 of 3 rated 好 is over the 50% cap: refused without lowering or a reason, and nothing changed
    with pytest.raises(ValidationError) as err:
        results_svc.ratings_settle(settlement=settlement, by=officer, lowered={})
    assert "override_reason" in err.value.message_dict
    # lowering needs a reason, and only lowers
    first_a = cycle.assessments.get(organisation__code=first)
    with pytest.raises(ValidationError):
        results_svc.ratings_settle(settlement=settlement, by=officer, lowered={first_a.pk: (Rating.FAIRLY_GOOD, " ")})
    assert not RatingChange.objects.exists()
    second_a = cycle.assessments.get(organisation__code=second)
    results_svc.ratings_settle(
        settlement=settlement,
        by=officer,
        lowered={
            first_a.pk: (Rating.FAIRLY_GOOD, "组织生活记录不全，经审定调为较好"),
            second_a.pk: (Rating.FAIRLY_GOOD, "发展党员程序有瑕疵"),
        },
    )
    settlement.refresh_from_db()
    first_a.refresh_from_db()
    assert settlement.state == SettlementState.SETTLED and not settlement.over_cap
    assert (settlement.good, settlement.rated) == (1, 3)
    assert first_a.rating == Rating.FAIRLY_GOOD and first_a.combined_score == Decimal("92.60")  # the score stays
    change = RatingChange.objects.get(assessment=first_a)
    assert (change.rating_before, change.rating_after, change.source) == (
        Rating.GOOD,
        Rating.FAIRLY_GOOD,
        RatingSource.SETTLEMENT,
    )
    client.force_login(officer)  # the assessment's page says the rating was changed, from what to what and why
    page = client.get(reverse("assessment_detail", kwargs={"pk": first_a.pk})).content.decode()
    assert "<dt>等次调整</dt><dd>好 → 较好" in page and "组织生活记录不全，经审定调为较好" in page
    page = client.get(reverse("assessment_detail", kwargs={"pk": second_a.pk})).content.decode()
    assert "发展党员程序有瑕疵" in page and "组织生活记录不全" not in page
    assert AuditEntry.objects.filter(action="ratingsettlement.settle", subject_id=str(settlement.pk)).exists()
    assert AuditEntry.objects.filter(action="assessment.rating_settled", subject_id=str(first_a.pk)).exists()
    pub = pub_svc.publication_open(by=officer, cycle=cycle)
    assert [x.rating for x in pub_svc.published_ratings(pub)].count(Rating.GOOD) == 1


def test_settling_over_the_cap_with_a_reason_is_printed_in_the_report(three):
    cycle, _first, _second, a = three
    officer = h.county_officer()
    save_draft(a)
    svc.review_submit(assessment=a, by=h.reviewer_of(a), outcome=Outcome.NONE)
    h.settle(cycle, override_reason="三个村均获市级表彰，经县委常委会研究保留“好”等次")
    s = RatingSettlement.objects.get(cycle=cycle)
    assert s.over_cap and s.override_reason.startswith("三个村")
    entry = AuditEntry.objects.get(action="ratingsettlement.settle", subject_id=str(s.pk))
    assert "县委常委会" in entry.comment
    report = annual_report(cycle=cycle, organisation=cycle.office.scope, subtree=True, by=officer)
    text = _sentences(report)["good_cap"]
    assert "超过上限" in text and "经审定保留" in text and "县委常委会研究保留" in text


def test_a_review_submitted_after_settling_reopens_it_before_publication(three):
    cycle, _first, _second, a = three
    officer = h.county_officer()
    h.settle(cycle, override_reason="先行审定")
    save_draft(a, fraction=Decimal("0.85"))
    svc.review_submit(assessment=a, by=h.reviewer_of(a), outcome=Outcome.NONE)
    s = RatingSettlement.objects.get(cycle=cycle)
    assert s.state == SettlementState.SETTLING
    assert Task.objects.filter(process=s.process, status=STATUS.NEW, flow_task=RatingSettlementFlow.settle).exists()
    with pytest.raises(ValidationError, match="等次审定"):
        pub_svc.publication_open(by=officer, cycle=cycle)
    assert not Publication.objects.filter(cycle=cycle).exists()


def test_the_last_review_starts_the_settling_by_itself(demo):
    cycle = h.open_cycle()
    codes = list(cycle.assessments.values_list("organisation__code", flat=True))
    for code in codes:
        h.review(h.through_to_review(cycle, code), fraction=Decimal("0.85"), outcome=Outcome.NONE)
    s = RatingSettlement.objects.get(cycle=cycle)
    assert Task.objects.filter(process=s.process, status=STATUS.NEW, flow_task=RatingSettlementFlow.settle).exists()


def test_the_settling_screen_settles_and_refuses_the_wrong_user(client, three):
    cycle, first, _second, a = three
    officer = h.county_officer()
    with transaction.atomic():
        s = results_svc.settlement_start(cycle=cycle, by=officer)
    task = Task.objects.get(process=s.process, status=STATUS.NEW)
    task.owner, task.status = officer, STATUS.ASSIGNED
    task.save()
    url = selectors.task_url(task)
    client.force_login(User.objects.get(username="zuzhibu"))
    assert client.get(url).status_code in (403, 404)
    client.force_login(officer)
    page = client.get(url)
    assert page.status_code == 200 and "等次审定" in page.content.decode()
    first_a = cycle.assessments.get(organisation__code=first)
    refused = client.post(url, {f"lower_{first_a.pk}": Rating.FAIRLY_GOOD, f"reason_{first_a.pk}": ""})
    assert refused.status_code == 400 and "理由" in refused.content.decode()
    done = client.post(url, {f"lower_{first_a.pk}": Rating.FAIRLY_GOOD, f"reason_{first_a.pk}": "材料不实"})
    assert done.status_code == 302
    first_a.refresh_from_db()
    assert first_a.rating == Rating.FAIRLY_GOOD
    # the office's button on the cycle page is refused to anyone else
    client.force_login(User.objects.get(username="dangyuan"))
    assert client.post(reverse("settlement_start", args=[cycle.pk])).status_code == 404


def test_a_rating_lowered_after_the_close_corrects_that_years_classification(three):
    cycle, first, _second, _a = three
    officer = h.county_officer()
    cycle_svc.cycle_close(by=officer, cycle=cycle, force=True, reason="年终截止")
    a = cycle.assessments.select_related("organisation", "cycle").get(organisation__code=first)
    record = ClassificationRecord.objects.get(organisation=a.organisation, year=cycle.year)
    assert record.classification == "advanced"
    with transaction.atomic():
        results_svc.rating_change(
            assessment=a,
            to=Rating.AVERAGE,
            reason="抽查发现三会一课记录造假",
            source=RatingSource.SPOT_CHECK,
            by=officer,
        )
    record.refresh_from_db()
    a.organisation.refresh_from_db()
    assert (record.rating, record.classification) == (Rating.AVERAGE, "average")
    assert "三会一课记录造假" in record.reason and a.organisation.classification == "average"
    assert AuditEntry.objects.filter(action="classification.follow_rating", subject_id=str(a.organisation_id)).exists()


def test_the_social_evaluation_is_entered_by_the_office_and_counts(three):
    cycle, _first, _second, a = three
    officer = h.county_officer()
    type(cycle).objects.filter(pk=cycle.pk).update(weight_social=Decimal(10))
    a.refresh_from_db()
    with pytest.raises(PermissionDenied):
        svc.social_score_set(assessment=a, by=h.reviewer_of(a), score="80", source="服务对象测评")
    with pytest.raises(ValidationError) as err:
        svc.social_score_set(assessment=a, by=officer, score="80", source="")
    assert "social_source" in err.value.message_dict
    svc.social_score_set(assessment=a, by=officer, score="８０", source="驻村企业代表评议")
    a.refresh_from_db()
    assert (a.social_score, a.social_source) == (Decimal(80), "驻村企业代表评议")
    save_draft(a)
    svc.review_submit(assessment=a, by=h.reviewer_of(a), outcome=Outcome.NONE)
    a.refresh_from_db()
    # (90×20 + 88×20 + 95×60 + 80×10) / 110
    assert a.combined_score == Decimal("91.45")
    with pytest.raises(AlreadyHandled, match="不能再修改"):
        svc.social_score_set(assessment=a, by=officer, score="90", source="x")


def test_a_cycle_whose_social_weight_has_no_source_is_refused_at_opening(demo):
    from flows.models import OversightOffice
    from flows.services.indicators import templates_load_defaults

    templates_load_defaults()
    officer = h.county_officer()
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=OversightOffice.objects.get(code="QS-ZZB"),
        templates=cycle_svc.default_cycle_templates(),
        year=2027,
        name="2027年度考核",
        scope_sectors=["village"],
        weight_social=Decimal(10),
        **cycle_svc.due_dates_for_year(2027),
    )
    with pytest.raises(ValidationError) as err:
        cycle_svc.cycle_open(by=officer, cycle=cycle)
    assert "social_source" in err.value.message_dict


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_numbers_in_every_score_are_refused_with_the_field_named(three, typed):
    _cycle, _first, _second, a = three
    ind = a.template.indicators.filter(veto=False).first()
    reviewer = h.reviewer_of(a)
    with pytest.raises(ValidationError) as err:
        svc.review_save(assessment=a, by=reviewer, scores={ind.pk: (typed, "")})
    [message] = err.value.message_dict[f"points_{ind.pk}"]
    assert ind.code in message and "数字" in message
    assert not a.scores.filter(superior_points__isnull=False).exists()
    with pytest.raises(ValidationError) as err:
        svc.social_score_set(assessment=a, by=h.county_officer(), score=typed, source="测评")
    assert "社会评价" in err.value.message_dict["social_score"][0]


def test_full_width_digits_are_read_as_digits(three):
    _cycle, _first, _second, a = three
    ind = a.template.indicators.filter(veto=False).first()
    svc.review_save(assessment=a, by=h.reviewer_of(a), scores={ind.pk: ("２．５", "")})
    assert a.scores.get(indicator=ind).superior_points == Decimal("2.5")


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_numbers_in_the_mass_score_and_on_screen(client, demo, typed):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    with pytest.raises(ValidationError) as err:
        svc.mass_evaluation_close(assessment=a, by=h.county_officer(), mass_score=typed)
    assert "群众评议" in err.value.message_dict["mass_score"][0]
    a.refresh_from_db()
    assert a.state == Stage.MASS_EVALUATION and a.mass_score is None
