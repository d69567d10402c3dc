"""The cycle dashboard: right figures, only what the viewer may see, the same number of queries at any size,
and a live push when an assessment moves."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flows.models import Organisation, OversightOffice, Rating, Role, Stage, User
from flows.selectors import dashboards
from flows.selectors.dashboards import Filters
from flows.services.deadlines import rag
from tests import cycle_helpers as h
from tests import spotcheck_helpers as sh

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(demo):
    """Qingshan county's village cycle with three villages moved on: one closed as good, one in rectification,
    one waiting for its secretary."""
    from flows.models import Outcome

    cycle = h.open_cycle()
    good = h.through_to_review(cycle, "JC-QS-HT-01")
    h.review(
        good,
        fraction=Decimal("0.95"),
        outcome=Outcome.COMMENDATION,
        commendation={"kind": "advanced_organisation", "nominee": None, "reason": "成绩突出"},
    )
    weak = h.through_to_review(cycle, "JC-QS-HT-02")
    h.review(
        weak,
        fraction=Decimal("0.6"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": "问题", "requirement": "", "owner": h.holder("JC-QS-HT-02", Role.DEPUTY), "due": h.next_week()}
        ],
    )
    h.do_self_assessment(h.assessment_of(cycle, "JC-QS-SQ-02"))
    return cycle


def figures(cycle, username, **filters):
    user = User.objects.get(username=username)
    f = Filters(**filters)
    return dashboards.cycle_dashboard(cycle, user, f)


def stage(d, value):
    return next(s["n"] for s in d["stages"] if s["stage"] == value)


def test_the_office_sees_every_village_by_stage_rating_and_rectification(cycle):
    d = figures(cycle, h.county_officer().username)
    assert d["total"] == 8
    assert stage(d, Stage.SELF_ASSESSMENT) == 5
    assert stage(d, Stage.SELF_APPROVAL) == 1
    assert stage(d, Stage.COMMENDATION) == 1
    assert stage(d, Stage.RECTIFICATION) == 1
    ratings = {r["rating"]: r["n"] for r in d["ratings"]}
    assert ratings[Rating.GOOD] == 1 and ratings[Rating.POOR] + ratings[Rating.AVERAGE] == 1
    assert d["rated"] == 2 and d["good_share"] == 50.0
    assert d["rectification"] == {"open": 1, "reported": 0, "verified": 0, "overdue": 0}
    # 红黄绿 against today: the five drafts and the sign-off are due with the self-assessment, the rectification with
    # the cycle's rectification date; the commendation decision has no stage deadline
    expected = {"red": 0, "yellow": 0, "green": 0}
    expected[rag(cycle.self_due, datetime.date.today())] += 6
    expected[rag(cycle.rectification_due, datetime.date.today())] += 1
    assert d["rag"] == expected
    assert [r["label"] for r in d["sectors"]] == ["农村"]
    assert d["ranking"][0].organisation.code == "JC-QS-HT-01"


def test_the_good_cap_is_checked(cycle):
    cycle.good_cap_percent = Decimal(30)
    cycle.save(update_fields=["good_cap_percent"])
    assert figures(cycle, h.county_officer().username)["over_cap"] is True
    cycle.good_cap_percent = Decimal(60)
    cycle.save(update_fields=["good_cap_percent"])
    assert figures(cycle, h.county_officer().username)["over_cap"] is False


def test_a_reviewer_sees_only_the_organisations_they_lead(cycle):
    d = figures(cycle, "dingxuejun")  # 河塘镇's secretary: 4 of the 8 villages are his township's
    assert d["total"] == 4
    assert d["ranking"][0].organisation.code == "JC-QS-HT-01"
    assert figures(cycle, "shuji")["total"] == 1


def test_filters_narrow_to_a_subtree_a_level_and_drill_down_to_the_list(cycle):
    d = figures(cycle, h.county_officer().username, subtree=Organisation.objects.get(code="JC-QS-SQ"))
    assert d["total"] == 4
    d = figures(cycle, h.county_officer().username, level="township")
    assert d["total"] == 0
    d = figures(cycle, h.county_officer().username, stage=Stage.SELF_APPROVAL)
    assert [a.organisation.code for a in d["drill"]] == ["JC-QS-SQ-02"]


def test_spot_check_coverage_counts_inspected_organisations(cycle):
    officer = h.county_officer()
    sh.drawn_plan(by=officer.username, office="QS-ZZB", cycle=cycle, scope_root=None, rate_percent=50)
    d = figures(cycle, officer.username)
    assert d["spot_checks"]["inspected"] == 4
    assert d["spot_checks"]["percent"] == round(100 * 4 / 8, 1)


def _synthetic_cycle(n, year, prefix):
    from flows.services import cycles as cycle_svc
    from flows.services.indicators import templates_load_defaults
    from flows.services.synthetic import synthetic_tree

    templates_load_defaults()
    jc = Organisation.objects.get(code="JC")
    synthetic_tree(n=n + 1, under=jc, prefix=prefix)
    top = Organisation.objects.get(code=f"{prefix}-000001")
    officer = User.objects.get(username="zuzhibu")
    office = OversightOffice.objects.get(code="JC-ZZB")
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=year,
        name=f"{year}规模测试",
        scope_root=top,
        **cycle_svc.due_dates_for_year(year),
    )
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    return cycle


def test_the_dashboard_costs_the_same_number_of_queries_at_any_size(demo, django_assert_num_queries):
    small = _synthetic_cycle(40, 2030, "QA")
    large = _synthetic_cycle(600, 2031, "QB")
    assert large.assessments.count() > 10 * small.assessments.count()
    officer = User.objects.get(username="zuzhibu")
    leader = User.objects.get(username="xianshuji")  # a leader's view adds the visibility filter, still constant

    def count(cycle, user, **filters):
        user = User.objects.get(pk=user.pk)  # a fresh user object: the access scope is not cached between runs
        with CaptureQueriesContext(connection) as ctx:
            dashboards.cycle_dashboard(cycle, user, Filters(**filters))
        return len(ctx.captured_queries)

    for user in (officer, leader):
        for filters in ({}, {"stage": Stage.SELF_ASSESSMENT}, {"sector": "village", "rag": "green"}):
            n = count(small, user, **filters)
            fresh = User.objects.get(pk=user.pk)
            with django_assert_num_queries(n):
                dashboards.cycle_dashboard(large, fresh, Filters(**filters))


def test_the_dashboard_page_renders_with_links_that_drill_down(client, cycle):
    client.force_login(h.county_officer())
    body = client.get(reverse("cycle_dashboard", args=[cycle.pk])).content.decode()
    assert "工作看板" in body and "echarts.min.js" in body and 'id="dashboard-data"' in body
    assert "?rag=red" in body and "stage=self_approval" in body
    drill = client.get(reverse("cycle_dashboard", args=[cycle.pk]), {"stage": "self_approval"}).content.decode()
    assert h.assessment_of(cycle, "JC-QS-SQ-02").organisation.name in drill
    data = client.get(reverse("cycle_dashboard_json", args=[cycle.pk]), {"sector": "village"}).json()
    assert data["total"] == 8 and data["rectification"]["open"] == 1
    assert client.get(reverse("cycle_dashboard", args=[cycle.pk]), {"sector": "'; drop"}).status_code == 200


def test_the_subtree_filter_takes_a_code_or_a_name_and_says_when_it_finds_none(client, cycle):
    """下级范围 takes the organisation's code, its full or short name, or a part of its name (the highest
    organisation holding it); a name it cannot place (unknown, shared by several at one level, or outside what the
    viewer may see) is kept in the box and said so, and the figures stay those of all the viewer may see."""
    town = Organisation.objects.get(code="JC-QS-SQ")
    url = reverse("cycle_dashboard", args=[cycle.pk])
    client.force_login(h.county_officer())
    whole = client.get(url).context["d"]["total"]
    for asked in (town.code, town.name, town.short_name, "石桥镇"):  # the town's committee, not its villages
        response = client.get(url, {"subtree": asked})
        f = response.context["f"]
        assert f.subtree == town and not f.subtree_not_found, asked
        assert response.context["d"]["total"] < whole
        assert f'<span class="tag">{town.name}</span>' in response.content.decode()
    for asked in ("没有这个组织", "村", "JC-BH"):  # unknown; many villages; another county
        response = client.get(url, {"subtree": asked})
        page = response.content.decode()
        assert response.context["f"].subtree is None and response.context["d"]["total"] == whole, asked
        assert f"没有找到名为“{asked}”的可见组织" in page and f'name="subtree" value="{asked}"' in page
