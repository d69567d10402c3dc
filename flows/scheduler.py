"""The embedded scheduler: on the embedded default the periodic sweeps run in a thread of the server process
(nothing extra to start). Scale-out, Celery beat runs the same `jobs.periodic_sweeps` instead."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from flows.jobs import run_sweeps

log = logging.getLogger(__name__)
_started = threading.Event()


def _loop(stop: threading.Event):
    while not stop.wait(settings.SCHEDULER_SECONDS):
        try:
            close_old_connections()
            run_sweeps()
        except Exception:  # noqa: BLE001 - the next round tries again; the sweeps are idempotent
            log.exception("scheduled sweep failed")
        finally:
            close_old_connections()


def start_in_process() -> threading.Event | None:
    """Start the loop once per process, unless Celery beat does the work (REDIS_URL set)."""
    if settings.REDIS_URL or not settings.SCHEDULER_ENABLED or _started.is_set():
        return None
    _started.set()
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop,), name="zerenzhi-scheduler", daemon=True).start()
    return stop
