"""PostgreSQL stops and starts again under load (issue 23: requests waited 20 s for the 503 page, and some stalled
another 12 s after the database was back).

A server (uvicorn, the suite's settings) runs on a PostgreSQL cluster of the test's own, holding a copy of the test
database; the test stops that cluster for a few seconds and starts it again. While it is down every request of a
signed-in user gets the Chinese 503 page within 2 s, /healthz/live stays 200 and /healthz/ready says 503 just as
fast; once it is back the very next requests succeed, none waits more than 2 s, and none fails again.

Only on the PostgreSQL suite (the copy is made with pg_dump): SQLite is a file in the server's own process, with no
server to lose."""

import os
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from flows.models import Role
from tests import cycle_helpers as h
from tests.ops_helpers import Http, asgi_server, copy_test_database_to, own_postgres

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="SQLite has no server to lose; bin/test's PostgreSQL + Redis suite runs this test",
    ),
]
DOWN = 4  # seconds the database stays down
FAST = 2.0  # seconds within which every answer comes, during the outage and after it


def test_the_database_going_down_gives_the_503_page_fast_and_recovery_has_no_stall(demo):
    assert connection.vendor == "postgresql"
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    with own_postgres() as postgres:
        url = copy_test_database_to(postgres, "zerenzhi_fault")
        with asgi_server(log_name="fault-database-down", DATABASE_URL=url, REDIS_URL=None) as server:
            users = [Http(server.url) for _ in range(3)]
            for user in users:
                assert user.login(secretary.username).status == 200
            for _ in range(3):
                assert all(user.get("/").status == 200 for user in users)  # the pool holds connections now

            answers, stop = [], threading.Event()

            def keep_asking(user):
                while not stop.is_set():
                    answers.append(user.get("/"))
                    time.sleep(0.05)

            threads = [threading.Thread(target=keep_asking, args=(user,), daemon=True) for user in users]
            for thread in threads:
                thread.start()
            time.sleep(0.5)

            postgres.stop("fast")  # connections are closed; the server refuses new ones
            down = time.monotonic()
            time.sleep(1)
            live = Http(server.url).get("/healthz/live")
            ready = Http(server.url).get("/healthz/ready")
            time.sleep(max(0.0, DOWN - (time.monotonic() - down)))
            postgres.start()  # returns once PostgreSQL accepts connections
            up = time.monotonic()
            time.sleep(3)
            stop.set()
            for thread in threads:
                thread.join(20)

    started = [(a.at - a.seconds, a) for a in answers]
    during = [a for t, a in started if down <= t < up]  # asked while the database was down
    after = [a for t, a in started if t >= up]
    first_ok = min((a.at for a in after if a.status == 200), default=None)
    summary = (
        f"\ndatabase down {up - down:.1f} s: {len(during)} answers {dict(Counter(a.status for a in during))}, "
        f"slowest {max(a.seconds for a in during):.2f} s; live {live.status} in {live.seconds:.2f} s, ready "
        f"{ready.status} in {ready.seconds:.2f} s; after it was back: first 200 after "
        f"{(first_ok or up) - up:.2f} s, {len(after)} answers {dict(Counter(a.status for a in after))}, slowest "
        f"{max(a.seconds for a in after):.2f} s"
    )
    print(summary)
    # each one the 503 page (or, asked less than FAST before the database was back, possibly the page itself)
    surely_down = [a for t, a in started if down <= t <= up - FAST]
    assert len(surely_down) >= len(users) and all(a.is_unavailable_page for a in surely_down), summary
    assert all(a.is_unavailable_page or a.status == 200 for a in during), summary
    assert max(a.seconds for a in during) < FAST, summary
    assert live.status == 200 and live.seconds < 0.5
    assert ready.status == 503 and ready.json()["checks"]["database"]["ok"] is False and ready.seconds < FAST
    assert first_ok is not None and first_ok - up < FAST, summary
    assert all(a.status == 200 for a in after if a.at - a.seconds >= first_ok), summary  # no failure once back
    assert max(a.seconds for a in after) < FAST, summary
