"""Redis stops for several seconds under load and comes back (issue 23: it used to be a full outage).

A server of the scale-out configuration (uvicorn, Redis for the cache, the channel layer and the Celery broker; the
suite's database) and a real Celery worker run on a Redis of the test's own, which the test stops and starts again.
Under load (signed-in users reading pages and the live inbox's counts, people logging in and out, a probe asking
/healthz/ready), while Redis is away:
- every request is answered 2xx or the Chinese 503 page, never a 500 or a refused connection;
- a signed-in user keeps working: a step taken during the outage is saved (its push is dropped);
- the open inbox socket is closed (the page then polls and says it is offline), and readiness says "degraded";
and after Redis is back, without restarting anything: a socket connects again and is pushed to, a step's push goes
out, the Celery worker takes a new job, readiness says "ok" again. A real browser (Chromium) on the inbox shows the
notice "offline, refreshing every 10 s" while Redis is away and hides it once its socket is back.

Only on the scale-out suite (REDIS_URL set): the embedded default uses no Redis, so has none to lose."""

import os
import re
import threading
import time
import uuid
from collections import Counter

import pytest
from celery import Celery
from viewflow.workflow.models import Task

from flows.flows import AssessmentFlow
from flows.models import Assessment, Role, Stage
from flows.selectors import task_url
from tests import cycle_helpers as h
from tests.e2e.conftest import browser  # noqa: F401 - the fixture: one Chromium for this module
from tests.e2e.test_browser__live_inbox import logged_in
from tests.ops_helpers import Http, asgi_server, own_redis, push_to_user, websocket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="the embedded default uses no Redis; bin/test's PostgreSQL + Redis suite runs this test",
    ),
]
OUTAGE = 5  # seconds Redis stays away


def waiting_for_approval(cycle, code):
    a = h.assessment_of(cycle, code=code)
    h.do_self_assessment(a)
    task = Task.objects.get(process_id=a.process_id, flow_task=AssessmentFlow.approve_self)
    return a, h.holder(code, Role.SECRETARY), task_url(task)


def approve(http: Http, url: str):
    return http.post(url, {"decision": "approve", "comment": "", "expected_state": Stage.SELF_APPROVAL})


class Load:
    """Threads asking the site while the test runs; every answer kept with the time it came."""

    def __init__(self, base):
        self.base, self.stop, self.answers, self.threads = base, threading.Event(), [], []

    def keep(self, name, answer):
        self.answers.append((name, answer))

    def run(self, name, step, pause=0.05):
        def loop():
            while not self.stop.is_set():
                for label, answer in step():
                    self.keep(f"{name}:{label}", answer)
                time.sleep(pause)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def start_worker(redis_url, log):
    import subprocess
    import sys

    from tests.e2e.conftest import test_database_url

    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }
    queue = f"redis-fault-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "project", "worker", "--pool", "solo", "-Q", queue]
        + ["-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    return worker, queue


def job_done(log, job_id) -> bool:
    return re.search(rf"Task celery\.accumulate\[{job_id}\] succeeded", log.read_text()) is not None


def eventually(check, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def in_a_thread(function, *args):
    """Run beside Playwright's event loop (async_to_sync refuses to run in a thread that has one)."""
    thread = threading.Thread(target=function, args=args)
    thread.start()
    thread.join(30)


def test_redis_going_away_degrades_the_site_and_it_recovers_by_itself(browser, demo, tmp_path, settings):  # noqa: F811
    cycle = h.open_cycle()
    first, first_secretary, first_url = waiting_for_approval(cycle, h.VILLAGE)
    second, second_secretary, second_url = waiting_for_approval(cycle, "JC-QS-HT-02")

    with own_redis() as redis:
        broker = redis.url(0)
        worker_log = tmp_path / "worker.log"
        worker, queue = start_worker(broker, worker_log)
        producer = Celery("fault-producer", broker=broker)  # a long-lived producer, as a web process keeps one
        try:
            with asgi_server(log_name="fault-redis-down", REDIS_URL=broker) as server:
                base = server.url
                reader, stepper, other = Http(base), Http(base), Http(base)
                assert reader.login("fenguan").status == 200
                assert stepper.login(first_secretary.username).status == 200
                assert other.login(second_secretary.username).status == 200
                socket = websocket(base, stepper)
                in_a_thread(push_to_user, broker, first_secretary.pk)
                assert '"inbox"' in socket.recv(timeout=5)  # the live inbox works before the outage
                context, page = logged_in(browser, base, "xianshuji", settings.DEMO_PASSWORD)
                banner = page.locator("[data-live-banner]")
                page.wait_for_selector("body[data-live-connected]", state="attached")  # its socket is open
                assert banner.is_hidden()

                job = producer.send_task("celery.accumulate", args=[1], queue=queue)
                assert eventually(lambda: job_done(worker_log, job.id), 60), worker_log.read_text()[-2000:]
                assert eventually(lambda: reader.get("/healthz/ready").json()["status"] == "ok", 15)

                load = Load(base)

                def pages():
                    return [("inbox", reader.get("/")), ("live", reader.get("/tasks/live.json"))]

                def logins():
                    visitor = Http(base)
                    answers = [("login", visitor.login("dangyuan")), ("home", visitor.get("/"))]
                    return [*answers, ("logout", visitor.post("/logout/", {}))]

                def probe():
                    return [("ready", Http(base).get("/healthz/ready"))]

                load.run("pages", pages)
                load.run("logins", logins)
                load.run("probe", probe, pause=0.5)
                time.sleep(1.5)

                redis.stop()
                down = time.monotonic()
                closed = eventually(lambda: _closed(socket), 5)
                socket_closed_after = time.monotonic() - down
                banner.wait_for(state="visible", timeout=5000)
                banner_after = time.monotonic() - down
                notice = banner.inner_text()
                time.sleep(1)
                during = approve(stepper, first_url)  # a signed-in user takes a step while Redis is away
                time.sleep(max(0.0, OUTAGE - (time.monotonic() - down)))
                restarting = time.monotonic()  # Redis listens again somewhere between this and `up`
                redis.start()
                up = time.monotonic()
                dropped_while_away = server.log.read_text().count("dropped: Redis unavailable")

                # the first requests after Redis is back: a step (its push), a socket, a job
                after = approve(other, second_url)
                after_seconds = time.monotonic() - up
                socket = None
                while socket is None and time.monotonic() - up < 15:
                    try:
                        socket = websocket(base, stepper)
                    except Exception:  # noqa: BLE001 - refused while the server's layer reconnects
                        time.sleep(0.2)
                socket_back_after = time.monotonic() - up
                assert socket is not None, "the live inbox's socket never connected again"
                in_a_thread(push_to_user, broker, first_secretary.pk)
                assert '"inbox"' in socket.recv(timeout=5)
                pushed_after = time.monotonic() - up
                banner.wait_for(state="hidden", timeout=15000)  # the page's own socket is back
                banner_gone_after = time.monotonic() - up
                context.close()
                job = producer.send_task("celery.accumulate", args=[2], queue=queue)
                assert eventually(lambda: job_done(worker_log, job.id), 60), worker_log.read_text()[-2000:]
                job_after = time.monotonic() - up
                assert eventually(lambda: Http(base).get("/healthz/ready").json()["status"] == "ok", 20)
                ready_after = time.monotonic() - up
                time.sleep(0.5)
                load.finish()
                socket.close()
                server_log = server.log.read_text()
        finally:
            worker.terminate()
            worker.wait(15)

    # answered while Redis was surely away: a probe still under way when it listened again may see it back
    outage = [(name, a) for name, a in load.answers if down <= a.at - a.seconds and a.at <= restarting]
    late = [
        (a.at - a.seconds - down, a.at - down, a.json()["status"])
        for n, a in load.answers
        if n == "probe:ready" and restarting < a.at <= up
    ]
    everything = [a for _name, a in load.answers]
    bad = [(name, a.status, a.body[:200]) for name, a in load.answers if not _acceptable(a)]
    counts = Counter(f"{name} {a.status}" for name, a in outage)
    readiness = Counter(a.json()["status"] for name, a in outage if name == "probe:ready")
    slowest = max(a.seconds for _n, a in outage)
    print(
        f"\nRedis away {up - down:.1f} s; during it {len(outage)} answers {dict(sorted(counts.items()))}, "
        f"slowest {slowest:.2f} s; readiness {dict(readiness)}; socket closed after {socket_closed_after:.2f} s, "
        f"the page said {notice!r} after {banner_after:.2f} s; "
        f"after Redis was back: step {after_seconds:.2f} s, socket {socket_back_after:.2f} s, push "
        f"{pushed_after:.2f} s, notice gone {banner_gone_after:.2f} s, Celery job {job_after:.2f} s, ready "
        f"{ready_after:.2f} s; {len(everything)} answers; probes answered while it started again {late}"
    )
    assert not bad, bad[:5]
    assert len(outage) > 20 and {"pages:inbox 200", "pages:live 200", "logins:login 200"} <= set(counts)
    assert set(readiness) == {"degraded"}
    assert closed, "the inbox socket stayed open while Redis was away"
    assert "10" in notice and banner_after < 3 and banner_gone_after < 12
    assert during.status == 200  # saved, and redirected to the inbox
    assert Assessment.objects.get(pk=first.pk).state == Stage.MASS_EVALUATION
    assert after.status == 200 and Assessment.objects.get(pk=second.pk).state == Stage.MASS_EVALUATION
    assert dropped_while_away >= 1  # the push of the step taken while Redis was away, and only that one:
    assert server_log.count("dropped: Redis unavailable") == dropped_while_away
    assert after_seconds < 2 and socket_back_after < 5 and job_after < 15


def _closed(socket) -> bool:
    try:
        socket.recv(timeout=0.1)
    except TimeoutError:
        return False
    except Exception:  # noqa: BLE001 - ConnectionClosed: what the test waits for
        return True
    return False


def _acceptable(answer) -> bool:
    return 200 <= answer.status < 300 or answer.is_unavailable_page
