"""Liveness and readiness, for process supervisors and load balancers. Public by design: no login, JSON, nothing
secret in them (no address, no user name, no version).

* /healthz/live  — this server process answers (its pid, to tell processes apart). Touches nothing else: a database
  or Redis outage must never make a supervisor restart healthy processes.
* /healthz/ready — whether this process can serve: 200 when the database answers, 503 when it does not (send no
  traffic here). Redis, the Celery workers and the queue are reported too; without them pages still work (live
  updates fall back to polling, background jobs wait in the queue), so they make the status "degraded", not 503:
  a Redis outage must not take every server out of the load balancer.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)
WORKER_PING_SECONDS = 0.5  # how long a readiness check waits for the Celery workers to answer a ping
WORKER_PING_KEPT = 10.0  # seconds an answer is reused: probes every second must not each broadcast a ping ...
WORKER_ABSENT_KEPT = 2.0  # ... and when no worker answered, so that one coming back is seen soon
_worker_answer: dict = {}
_worker_lock = threading.Lock()
_redis_client = None


@require_safe
@never_cache
def live(request):
    return JsonResponse({"status": "ok", "pid": os.getpid()})


@require_safe
@never_cache
def ready(request):
    checks = {"database": _database()}
    if settings.REDIS_URL:
        checks["redis"] = _redis()
        checks["worker"] = _workers() if checks["redis"]["ok"] else {"ok": False, "workers": None}
        checks["queue"] = _queue() if checks["redis"]["ok"] else {"ok": False, "depth": None}
    else:  # the embedded default: no Redis; background jobs run inside this process
        checks["worker"] = {"ok": True, "in_process": True}
    if not checks["database"]["ok"]:
        status = "unavailable"
    elif all(check["ok"] for check in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == "unavailable" else 200)


def _timed(probe) -> dict:
    start = time.perf_counter()
    try:
        result = probe() or {}
    except Exception as exc:  # noqa: BLE001 - any failure is the answer "not ok"; the reason goes to the log only
        logger.warning("readiness: %s failed: %s", probe.__qualname__.split(".")[0].lstrip("_"), exc)
        return {"ok": False, "ms": round((time.perf_counter() - start) * 1000, 1)}
    return {"ok": True, "ms": round((time.perf_counter() - start) * 1000, 1), **result}


def _database() -> dict:
    def probe():
        with connection.cursor() as cursor:  # a broken connection is closed at the end of the request, as always
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return _timed(probe)


def _client():
    """One small client per process for the probes, with short timeouts (never the channel layer's)."""
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _redis_client


def _redis() -> dict:
    def probe():
        _client().ping()

    return _timed(probe)


def _queue() -> dict:
    """Jobs waiting in the default Celery queue (a list of that name in the broker's Redis database)."""
    from celery import current_app

    name = current_app.conf.task_default_queue
    return _timed(lambda: {"depth": _client().llen(name)})


def _workers() -> dict:
    """How many Celery workers answered a ping (celery inspect ping), remembered for WORKER_PING_KEPT seconds."""
    from celery import current_app

    with _worker_lock:
        kept = _worker_answer.get("at")
        keep = WORKER_PING_KEPT if _worker_answer.get("workers") else WORKER_ABSENT_KEPT
        if kept is None or time.monotonic() - kept > keep:
            try:
                replies = current_app.control.ping(timeout=WORKER_PING_SECONDS)
                _worker_answer.update(at=time.monotonic(), workers=len(replies or []))
            except Exception:  # noqa: BLE001 - the broker went away between the checks
                _worker_answer.update(at=time.monotonic(), workers=None)
        workers = _worker_answer["workers"]
    return {"ok": bool(workers), "workers": workers}
