"""The cycle dashboard and year over year cost the same number of queries for a small and a ten times larger tree,
for every kind of view (whole, subtree, drill-down lists and their later pages, the table's pages); and the figures
they show are right at once after a step or a correction (the counts are kept in the step's transaction, not
cached)."""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flows.models import (
    Assessment,
    ClassificationRecord,
    Kind,
    Level,
    Organisation,
    OversightOffice,
    Rating,
    Stage,
    User,
)
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.services import classifications, counts
from flows.services import cycles as cycle_svc
from flows.services.indicators import templates_load_defaults
from flows.services.people import office_join
from flows.services.steps import step_take
from flows.services.synthetic import synthetic_tree

pytestmark = pytest.mark.django_db

SMALL, LARGE = 60, 700
SPREAD = [
    (Stage.SELF_APPROVAL, ""),
    (Stage.MASS_EVALUATION, ""),
    (Stage.SUPERIOR_REVIEW, ""),
    (Stage.CLOSED, Rating.GOOD),
    (Stage.CLOSED, Rating.FAIRLY_GOOD),
    (Stage.RECTIFICATION, Rating.AVERAGE),
]
YEARS = (2023, 2024, 2025)


def _root():
    return Organisation.objects.filter(depth=1).first() or Organisation.objects.add_root(
        {"code": "R", "name": "测试市委", "kind": Kind.LOCAL_COMMITTEE, "level": Level.CITY}
    )


def _office(prefix: str, n: int):
    """n synthetic organisations in a subtree of their own, an office over its top and the office's officer."""
    templates_load_defaults()
    synthetic_tree(n=n + 1, under=_root(), prefix=prefix)
    top = Organisation.objects.get(code=f"{prefix}-000001")
    officer = User.objects.create(username=f"{prefix.lower()}-officer", real_name=prefix)
    office = OversightOffice.objects.create(
        code=f"{prefix}-ZZB", name=f"{prefix}组织部", kind="organisation_department", scope=top
    )
    office_join(by=None, user=officer, office=office, role="officer", start=today().replace(month=1, day=1))
    return top, office, officer


def _cycle_under_way(prefix: str, n: int):
    """A launched cycle of this year over n organisations, its assessments spread over the stages (in bulk, then
    recounted, as every bulk writer must)."""
    top, office, officer = _office(prefix, n)
    year = today().year
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=year,
        name=f"{year}{prefix}",
        **cycle_svc.due_dates_for_year(year),
    )
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    ids = list(Assessment.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True))
    for i, (state, rating) in enumerate(SPREAD):
        Assessment.objects.filter(pk__in=ids[i :: len(SPREAD) + 2]).update(
            state=state, rating=rating, combined_score=Decimal(90 - i) if rating else None
        )
    counts.cycle_counts_rebuild(cycle)
    return cycle, officer, top


def _years(prefix: str, n: int):
    """n organisations with three classified years (in bulk, then recounted), a seventh of them weak and lax."""
    top, _office_, officer = _office(prefix, n)
    ids = list(top.subtree(include_self=False).values_list("pk", flat=True))
    classes = ["backward", "average", "advanced"]
    ClassificationRecord.objects.bulk_create(
        [
            ClassificationRecord(organisation_id=pk, year=year, classification=classes[(i + year) % 3], rating="good")
            for year in YEARS
            for i, pk in enumerate(ids)
        ]
    )
    Organisation.objects.filter(pk__in=ids[::7]).update(weak_and_lax=True)
    counts.classifications_rebuild()
    return top, officer


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _dashboard_urls(cycle, top):
    county = Organisation.objects.filter(subtree_q_under(top), depth=top.depth + 1).order_by("path").first()
    url = reverse("cycle_dashboard", args=[cycle.pk])
    return [
        url,
        f"{url}?subtree={county.code}",
        f"{url}?stage={Stage.SELF_ASSESSMENT}",
        f"{url}?stage={Stage.SUPERIOR_REVIEW}&page=2",
        f"{url}?subtree={county.code}&stage={Stage.MASS_EVALUATION}",
        f"{url}?rag=green",
        f"{url}?sector=village&level=grassroots",
        reverse("cycle_dashboard_json", args=[cycle.pk]),
    ]


def subtree_q_under(top):
    return subtree_q(top.path, include_self=False)


def test_the_dashboard_costs_the_same_number_of_queries_at_two_sizes(client):
    small, small_officer, small_top = _cycle_under_way("DA", SMALL)
    large, large_officer, large_top = _cycle_under_way("DB", LARGE)
    assert large.assessments.count() >= 10 * small.assessments.count()
    for a, b in zip(_dashboard_urls(small, small_top), _dashboard_urls(large, large_top), strict=True):
        client.force_login(small_officer)
        n_small = _queries(client, a)
        client.force_login(large_officer)
        n_large = _queries(client, b)
        assert n_small == n_large, (b, n_small, n_large)


def test_the_drill_down_pages_through_the_whole_list_in_tree_order(client):
    cycle, officer, _top = _cycle_under_way("DC", 300)
    client.force_login(officer)
    url = reverse("cycle_dashboard", args=[cycle.pk])
    expected = list(
        Assessment.objects.filter(cycle=cycle, state=Stage.SELF_ASSESSMENT)
        .order_by("organisation__path")
        .values_list("pk", flat=True)
    )
    assert len(expected) > 50  # more than one page
    seen, page = [], 1
    while True:
        d = client.get(url, {"stage": Stage.SELF_ASSESSMENT, "page": page}).context["d"]
        seen += [a.pk for a in d["drill"]]
        assert d["drill_page"].paginator.count == len(expected)
        if not d["drill_page"].has_next():
            break
        page += 1
    assert seen == expected


def test_the_dashboard_shows_a_step_at_once(client):
    cycle, officer, _top = _cycle_under_way("DD", SMALL)
    client.force_login(officer)
    url = reverse("cycle_dashboard", args=[cycle.pk])

    def figures():
        body = client.get(url, {"stage": Stage.MASS_EVALUATION}).content.decode()
        stage = {s: int(n) for s, n in re.findall(r'data-figure="stage\.(\w+)">(\d+)<', body)}  # the counters as shown
        listed = int(re.search(r"data-drill-count>(\d+)", body)[1])
        return stage, listed

    before, listed_before = figures()
    assert listed_before == before[Stage.MASS_EVALUATION]
    with transaction.atomic():
        a = Assessment.objects.select_for_update().filter(cycle=cycle, state=Stage.SELF_APPROVAL).first()
        step_take(a, "approve_self", by=None, system=True)
    after, listed_after = figures()
    assert after[Stage.SELF_APPROVAL] == before[Stage.SELF_APPROVAL] - 1
    assert after[Stage.MASS_EVALUATION] == before[Stage.MASS_EVALUATION] + 1
    assert listed_after == listed_before + 1
    data = client.get(reverse("cycle_dashboard_json", args=[cycle.pk])).json()
    assert {s["stage"]: s["n"] for s in data["stages"]}[Stage.MASS_EVALUATION] == after[Stage.MASS_EVALUATION]


def _year_urls(top):
    child = Organisation.objects.filter(subtree_q_under(top), depth=top.depth + 1).order_by("path").first()
    url = reverse("year_over_year") + f"?root={top.code}"
    return [
        url,
        f"{url}&move=up",
        f"{url}&move=up&drill_page=2",
        f"{url}&move=down&within={child.code}",
        f"{url}&year=2024&move=converted",
        f"{url}&page=2",
        f"{url}&weak_page=2",
    ]


def test_year_over_year_costs_the_same_number_of_queries_at_two_sizes(client):
    small_top, small_officer = _years("YA", SMALL)
    large_top, large_officer = _years("YB", LARGE)
    assert large_top.subtree().count() >= 10 * small_top.subtree().count()
    for a, b in zip(_year_urls(small_top), _year_urls(large_top), strict=True):
        client.force_login(small_officer)
        n_small = _queries(client, a)
        client.force_login(large_officer)
        n_large = _queries(client, b)
        assert n_small == n_large, (b, n_small, n_large)


def test_year_over_year_lists_page_through_what_the_counts_say(client):
    top, officer = _years("YC", 400)
    client.force_login(officer)
    url = reverse("year_over_year")
    d = client.get(url, {"root": top.code, "move": "up"}).context["d"]
    up = d["totals"]["up"]
    assert d["drill_page"].paginator.count == up > 50
    seen = []
    for page in range(1, d["drill_page"].paginator.num_pages + 1):
        rows = client.get(url, {"root": top.code, "move": "up", "drill_page": page}).context["d"]["drill"]
        seen += [r.organisation.path for r in rows]
    assert len(seen) == up and seen == sorted(seen)
    weak = client.get(url, {"root": top.code}).context["d"]["weak_page"]
    assert weak.paginator.count == top.subtree(include_self=False).filter(weak_and_lax=True).count()
    assert len(weak.object_list) == 50


def test_year_over_year_shows_a_correction_at_once(client):
    top, officer = _years("YD", SMALL)
    client.force_login(officer)
    url = reverse("year_over_year")

    def shown():
        d = client.get(url, {"root": top.code, "year": "2025", "move": "up"}).context["d"]
        return d["by_year"][-1]["classes"], d["totals"], d["drill_page"].paginator.count

    classes, totals, listed = shown()
    assert listed == totals["up"]
    record = ClassificationRecord.objects.filter(
        organisation__path__startswith=top.path, year=2025, classification="backward"
    ).exclude(organisation=top)
    record = record.order_by("pk").first()
    previous = ClassificationRecord.objects.get(organisation=record.organisation, year=2024).classification
    classifications.classification_correct(
        organisation=record.organisation, year=2025, classification="advanced", reason="复核更正", by=officer
    )
    after, totals_after, listed_after = shown()
    assert after["backward"] == classes["backward"] - 1 and after["advanced"] == classes["advanced"] + 1
    if previous != "advanced":  # from backward (no move, or down) to advanced: now one more moved up
        assert totals_after["up"] == totals["up"] + 1 and listed_after == listed + 1
