"""The cycle dashboard for 10,000 organisations: the whole page, rendered in-process through Django (view,
queries, template), against the one grouped SQL query its figures come from. Target: under 1 s."""

import statistics
import time

RUNS = 15


def run(*, quick: bool, emit):
    import datetime

    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from flows.models import Assessment, Kind, Level, Organisation, OversightOffice, Rating, Stage, User
    from flows.services import cycles as cycle_svc
    from flows.services.indicators import templates_load_defaults
    from flows.services.people import office_join
    from flows.services.synthetic import synthetic_tree

    n = 1_000 if quick else 10_000
    templates_load_defaults()
    root = Organisation.objects.filter(depth=1).first() or Organisation.objects.add_root(
        {"code": "DASH", "name": "看板基准市委", "kind": Kind.LOCAL_COMMITTEE, "level": Level.CITY}
    )
    synthetic_tree(n=n + 1, under=root, prefix="D")
    top = Organisation.objects.get(code="D-000001")
    officer = User.objects.create(username="dash-officer", real_name="看板")
    office = OversightOffice.objects.create(
        code="DASH-ZZB", name="看板组织部", kind="organisation_department", scope=top
    )
    office_join(by=None, user=officer, office=office, role="officer", start=datetime.date(2020, 1, 1))
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=timezone.localdate().year,
        name="看板基准",
        **cycle_svc.due_dates_for_year(timezone.localdate().year),
    )
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
