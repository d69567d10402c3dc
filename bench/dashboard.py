"""The cycle dashboard for 100,000 organisations (2,000 with --quick): the whole page, rendered in-process through
Django (view, queries, template), in turn for the whole cycle, one county's subtree and the drill-down list of the
overdue, against the floor of the one grouped SQL query over the assessments that the figures would cost without
the kept counts. Target: p95 under 0.5 s.

The year under way is written in bulk (stages and ratings spread over the organisations by UPDATE), so the bench
rebuilds the kept counts afterwards, as every bulk writer must; then it takes one real step and checks that the
page counts it at once."""

import statistics
import time

from bench.scene import synthetic_cycle

RUNS = 15
TARGET = 0.5  # seconds, p95 of the page


def run(*, quick: bool, emit):

    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from flows.models import Assessment, Organisation, Rating, Stage
    from flows.services import counts
    from flows.services import cycles as cycle_svc
    from flows.services.steps import step_take

    n = 2_000 if quick else 100_000
    scene = synthetic_cycle(
        prefix="D", n=n + 1, label="看板基准", scope_code="D-000001", superuser=False, year=timezone.localdate().year
    )
    officer, cycle = scene.officer, scene.cycle
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    # a year under way: stages and ratings spread over the organisations
    ids = list(Assessment.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True))
    spread = [
        (Stage.SELF_APPROVAL, ""),
        (Stage.MASS_EVALUATION, ""),
        (Stage.SUPERIOR_REVIEW, ""),
        (Stage.CLOSED, Rating.GOOD),
        (Stage.CLOSED, Rating.FAIRLY_GOOD),
        (Stage.RECTIFICATION, Rating.AVERAGE),
    ]
    for i, (state, rating) in enumerate(spread):
        picked = ids[i :: len(spread) + 2]
        for k in range(0, len(picked), 5000):
            Assessment.objects.filter(pk__in=picked[k : k + 5000]).update(
                state=state, rating=rating, combined_score=90 if rating else None
            )
    counts.cycle_counts_rebuild(cycle)
    total = len(ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    county = Organisation.objects.get(code="D-000002")  # the first county under the scope's top

    client = Client()
    client.force_login(officer)
    url = reverse("cycle_dashboard", args=[cycle.pk])
    client.get(url, HTTP_HOST="127.0.0.1")  # warm: templates compiled, first connection opened
    variants = ["", f"?subtree={county.code}", "?rag=red"]
    times = []
    for i in range(RUNS):
        started = time.perf_counter()
        response = client.get(url + variants[i % len(variants)], HTTP_HOST="127.0.0.1")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
        if i % len(variants) == 0:
            assert f">{total}<" in response.content.decode()
    page = statistics.quantiles(times, n=20)[18]  # p95

    # a step is counted in its own transaction: the next page shows it
    with transaction.atomic():
        a = Assessment.objects.select_for_update().filter(cycle=cycle, state=Stage.SELF_APPROVAL).first()
        step_take(a, "approve_self", by=None, system=True)
    figures = client.get(reverse("cycle_dashboard_json", args=[cycle.pk]), HTTP_HOST="127.0.0.1").json()
    by_stage = {s["stage"]: s["n"] for s in figures["stages"]}
    assert by_stage[Stage.SELF_APPROVAL] == len(ids[0 :: len(spread) + 2]) - 1, by_stage

    sql = (
        "SELECT a.state, a.rating, o.sector, o.level, COUNT(*) FROM flows_assessment a "
        "JOIN flows_organisation o ON o.id = a.organisation_id WHERE a.cycle_id = %s "
        "GROUP BY a.state, a.rating, o.sector, o.level"
    )
    floor_times = []
    with connection.cursor() as cur:
        for _ in range(RUNS):
            started = time.perf_counter()
            cur.execute(sql, [cycle.pk])
            rows = cur.fetchall()
            floor_times.append(time.perf_counter() - started)
    assert sum(r[4] for r in rows) == total
    floor = statistics.median(floor_times)
    return [emit(f"dashboard_{total}_orgs_p95", page, "s", floor, TARGET, ok=page <= TARGET)]
