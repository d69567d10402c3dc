"""The cycle dashboard for 10,000 organisations: the whole page, rendered in-process through Django (view,
queries, template), against the one grouped SQL query its figures come from. Target: under 1 s."""

import statistics
import time

from bench.scene import synthetic_cycle

RUNS = 15


def run(*, quick: bool, emit):

    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from flows.models import Assessment, Rating, Stage
    from flows.services import cycles as cycle_svc

    n = 1_000 if quick else 10_000
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
        Assessment.objects.filter(pk__in=ids[i :: len(spread) + 2]).update(state=state, rating=rating)
    total = len(ids)

    client = Client()
    client.force_login(officer)
    url = reverse("cycle_dashboard", args=[cycle.pk])
    client.get(url, HTTP_HOST="127.0.0.1")  # warm: templates compiled, first connection opened
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url, HTTP_HOST="127.0.0.1")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and f">{total}<" in response.content.decode()
    page = statistics.quantiles(times, n=20)[18]  # p95

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
    return [
        emit(
            f"dashboard_{total}_orgs_p95",
            page,
            "s",
            floor,
            1.0,
            ok=page < 1.0,
        )
    ]
