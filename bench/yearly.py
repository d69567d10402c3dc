"""Year over year for 100,000 organisations (2,000 with --quick) with three closed cycles: the whole page, rendered
in-process through Django (view, queries, template), in turn plain, with the list of those who moved up (its first
page and a page further on), with those who slipped down in one county, and a page further on in the table of
organisations, against the floor of the one grouped SQL query over the classification records that its chart would
cost without the kept counts. Target: p95 under 0.5 s, and the same number of queries whatever the size (printed on
stderr). The cycles are closed through the service, which records every organisation's classification and recounts
the year (its time is printed on stderr, for information); then the office corrects one classification and the
bench checks that the page counts it at once."""

import json
import re
import statistics
import sys
import time

from bench.scene import synthetic_office

RUNS = 15
TARGET = 0.5  # seconds, p95 of the page
YEARS = (2023, 2024, 2025)


def build(n: int) -> dict:
    """The scene: n + 1 organisations, three closed cycles. Returns what `measure` needs."""
    from decimal import Decimal

    from django.db import connection

    from flows.models import Assessment, Organisation, Stage
    from flows.services import cycles as cycle_svc

    scene = synthetic_office(prefix="Y", n=n + 1, label="对比", scope_code="Y-000001", superuser=False)
    officer, office = scene.officer, scene.office
    top = Organisation.objects.get(code="Y-000001")
    ratings = ["good", "fairly_good", "average", "poor"]
    closing = []
    for k, year in enumerate(YEARS):
        cycle = cycle_svc.cycle_create(
            by=officer,
            office=office,
            templates=cycle_svc.default_cycle_templates(),
            year=year,
            name=f"{year}对比基准",
            **cycle_svc.due_dates_for_year(year),
        )
        cycle = cycle_svc.cycle_open(by=officer, cycle=cycle)
        orgs = list(cycle_svc.cycle_scope(cycle).values_list("pk", "sector", "level"))
        Assessment.objects.bulk_create(
            [
                Assessment(
                    cycle=cycle,
                    organisation_id=pk,
                    template=cycle.template_for(sector, level),
                    state=Stage.CLOSED,
                    combined_score=Decimal(80),
                    rating=ratings[(i * 7 + k) % 4],
                )
                for i, (pk, sector, level) in enumerate(orgs)
            ],
            batch_size=2000,
        )
        started = time.perf_counter()
        cycle_svc.cycle_close(by=officer, cycle=cycle)
        closing.append(time.perf_counter() - started)
    print(f"closing {len(orgs)} assessments (classifications recorded): {max(closing):.2f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return {
        "officer": officer.pk,
        "root": top.code,
        "total": len(orgs),
        "county": Organisation.objects.get(code="Y-000002").code,
    }


def variants(ctx: dict) -> list[str]:
    return ["", "&move=up", "&move=up&drill_page=5", f"&move=down&within={ctx['county']}", "&page=40"]


def page_times(ctx: dict, *, runs: int = RUNS) -> tuple[list[float], dict]:
    """Each variant in turn, `runs` times in all: the times, and the number of queries of each variant."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from flows.models import User

    client = Client()
    client.force_login(User.objects.get(pk=ctx["officer"]))
    url = reverse("year_over_year") + f"?root={ctx['root']}"
    queries = {}
    for v in variants(ctx):  # warm: templates compiled, first connection opened; and the queries of each variant
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url + v, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, response.status_code
        queries[v or "(plain)"] = len(captured)
    times = []
    vs = variants(ctx)
    for i in range(runs):
        started = time.perf_counter()
        response = client.get(url + vs[i % len(vs)], HTTP_HOST="127.0.0.1")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and "chart-classes" in response.content.decode()
    return times, queries


def run(*, quick: bool, emit):
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse

    from flows.models import ClassificationRecord, Organisation, User
    from flows.models.organisations import path_successor
    from flows.services import classifications

    ctx = build(2_000 if quick else 100_000)
    times, queries = page_times(ctx)
    print(f"year over year queries per page: {queries}", file=sys.stderr)
    page = statistics.quantiles(times, n=20)[18]  # p95

    # a correction is counted in its own transaction: the next page shows it
    officer = User.objects.get(pk=ctx["officer"])
    client = Client()
    client.force_login(officer)
    url = reverse("year_over_year") + f"?root={ctx['root']}&year={YEARS[-1]}"

    def last_year():  # the chart's figures of the last year, as the page shows them
        body = client.get(url, HTTP_HOST="127.0.0.1").content.decode()
        chart = json.loads(re.search(r'id="yearly-data" type="application/json">(.*?)</script>', body, re.S)[1])
        return {s["key"]: s["data"][-1] for s in chart["series"]}

    before = last_year()
    record = ClassificationRecord.objects.filter(year=YEARS[-1], classification="average").order_by("pk").first()
    with transaction.atomic():
        classifications.classification_correct(
            organisation=record.organisation, year=YEARS[-1], classification="advanced", reason="基准更正", by=officer
        )
    after = last_year()
    assert (after["average"], after["advanced"]) == (before["average"] - 1, before["advanced"] + 1), (before, after)

    top = Organisation.objects.get(code=ctx["root"])
    sql = (
        "SELECT r.year, r.rating, r.classification, COUNT(*) FROM flows_classificationrecord r "
        "JOIN flows_organisation o ON o.id = r.organisation_id WHERE o.path > %s AND o.path < %s "
        "GROUP BY r.year, r.rating, r.classification"
    )
    floor_times = []
    with connection.cursor() as cur:
        for _ in range(RUNS):
            started = time.perf_counter()
            cur.execute(sql, [top.path, path_successor(top.path)])
            rows = cur.fetchall()
            floor_times.append(time.perf_counter() - started)
    assert sum(r[3] for r in rows) == ctx["total"] * len(YEARS)
    floor = statistics.median(floor_times)
    return [
        emit(
            f"year_over_year_{ctx['total']}_orgs_{len(YEARS)}_cycles_p95", page, "s", floor, TARGET, ok=page <= TARGET
        ),
    ]
