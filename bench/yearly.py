"""Year over year for 100,000 organisations (2,000 with --quick) with three closed cycles: the whole page, rendered
in-process through Django (view, queries, template), every other time with the list of those who moved up, against
the floor of the one grouped SQL query over the classification records that its chart would cost without the kept
counts. Target: p95 under 0.5 s. The cycles are closed through the service, which records every organisation's
classification and recounts the year (its time is printed on stderr, for information)."""

import statistics
import sys
import time

from bench.scene import synthetic_office

RUNS = 15
TARGET = 0.5  # seconds, p95 of the page
YEARS = (2023, 2024, 2025)


def run(*, quick: bool, emit):
    from decimal import Decimal

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from flows.models import Assessment, Organisation, Stage
    from flows.models.organisations import path_successor
    from flows.services import cycles as cycle_svc

    n = 2_000 if quick else 100_000
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
    total = len(orgs)
    print(f"closing {total} assessments (classifications recorded): {max(closing):.2f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    client = Client()
    client.force_login(officer)
    url = reverse("year_over_year") + f"?root={top.code}"
    client.get(url, HTTP_HOST="127.0.0.1")  # warm: templates compiled, first connection opened
    times = []
    for i in range(RUNS):
        started = time.perf_counter()
        response = client.get(url + ("&move=up" if i % 2 else ""), HTTP_HOST="127.0.0.1")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and "chart-classes" in response.content.decode()
    page = statistics.quantiles(times, n=20)[18]  # p95

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
    assert sum(r[3] for r in rows) == total * len(YEARS)
    floor = statistics.median(floor_times)
    return [
        emit(f"year_over_year_{total}_orgs_{len(YEARS)}_cycles_p95", page, "s", floor, TARGET, ok=page <= TARGET),
    ]
