"""Liveness and readiness probes (/healthz/live, /healthz/ready): public by design — a supervisor or a load balancer
asks them without logging in — so they answer JSON with nothing secret in it. Live touches nothing but the process;
ready is 503 only when the database does not answer (Redis, the workers and the queue away make it "degraded": pages
still work without them)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client

from flows.views import health
from tests.ops_helpers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_probe_clients():
    health._redis_client = None
    health._worker_answer.clear()
    yield
    health._redis_client = None
    health._worker_answer.clear()


def test_the_probes_are_public_by_design_and_say_nothing_secret(client, demo):
    for path in ("/healthz/live", "/healthz/ready"):
        response = client.get(path)
        assert response.status_code == 200, path  # no login: a probe never logs in
        assert response["Content-Type"] == "application/json"
        assert "no-cache" in response["Cache-Control"]
        body = response.content.decode()
        for secret in (settings.SECRET_KEY, settings.DATABASES["default"]["NAME"], settings.REDIS_URL or "\0"):
            assert str(secret) not in body
    assert client.get("/healthz/live").json() == {"status": "ok", "pid": os.getpid()}
    assert client.post("/healthz/live").status_code == 405  # GET and HEAD only


def test_ready_reports_the_database_and_the_background_work(client, demo):
    answer = client.get("/healthz/ready").json()
    checks = answer["checks"]
    assert checks["database"]["ok"] is True
    if settings.REDIS_URL:  # the scale-out configuration: Redis, the Celery workers, the queue
        assert checks["redis"]["ok"] is True
        assert isinstance(checks["queue"]["depth"], int)
        # the suite starts no Celery worker: nobody answers the ping, so the site is degraded, still 200
        assert checks["worker"] == {"ok": False, "workers": 0}
        assert answer["status"] == "degraded"
    else:  # the embedded default: background work runs in this process
        assert set(checks) == {"database", "worker"}
        assert checks["worker"] == {"ok": True, "in_process": True}
        assert answer["status"] == "ok"


def test_ready_is_503_when_the_database_does_not_answer_and_live_stays_200(demo, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def gone(self, sql, params=None):
        raise OperationalError("server closed the connection unexpectedly")

    client = Client()
    monkeypatch.setattr(CursorWrapper, "execute", gone)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"]["ok"] is False
    assert client.get("/healthz/live").status_code == 200  # a supervisor must not restart a process for this


def test_redis_away_makes_the_site_degraded_not_unavailable(client, demo, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "degraded"
    assert answer["checks"]["database"]["ok"] is True
    assert answer["checks"]["redis"]["ok"] is False
    assert answer["checks"]["worker"]["ok"] is False and answer["checks"]["queue"]["ok"] is False
    assert answer["checks"]["redis"]["ms"] < 2000


def test_production_answers_probes_over_plain_http_and_redirects_everything_else():
    """A load balancer asks the servers over http: the probes are exempt from the https redirect, pages are not."""
    script = (
        "from django.test import Client; c = Client(); "
        "print(c.get('/healthz/live').status_code, c.get('/login/').status_code, c.get('/login/')['Location'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "project.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789",
        "ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    live, login, location = result.stdout.split()
    assert (live, login, location) == ("200", "301", "https://testserver/login/")
