"""The public ballot pages run on a few dedicated worker threads that keep their database connections.

Why: under ASGI Django runs each request's synchronous code on a thread of its own (asgiref gives every request a
fresh thread-sensitive executor), so every cast opened a new database connection (for SQLite: the file, four
PRAGMAs, Django's SQL functions) and concurrent casts competed for SQLite's single write lock, the losers sleeping
in the busy handler. Writers serialise anyway: one worker with one open connection casts them back to back (on
PostgreSQL a few workers, one connection each). The request thread just waits for its worker.

The request's thread-local state that the pages use travels with the call explicitly: the active language and the
script prefix (asgiref's Local does not follow a call into another thread unless asgiref itself moves it).
With settings.BALLOT_WORKERS = 0 the view runs inline on the request thread: the suite's transaction-wrapped tests
need that, since a worker's own connection could not see their uncommitted data. The real server (bin/serve, the
browser tests, the benchmark) runs with workers."""

import functools
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections
from django.urls import get_script_prefix, set_script_prefix
from django.utils import translation

_lock = threading.Lock()
_pool: tuple[ThreadPoolExecutor, int] | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            size = settings.BALLOT_WORKERS
            _pool = (ThreadPoolExecutor(max_workers=size, thread_name_prefix="ballot-worker"), size)
        return _pool[0]


def shutdown() -> None:
    """Close every worker's database connection and stop the workers; the next ballot starts fresh ones."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    executor, size = pool
    barrier = threading.Barrier(size)

    def close():
        barrier.wait(10)  # one job per worker thread
        connections.close_all()

    for future in [executor.submit(close) for _ in range(size)]:
        future.result()
    executor.shutdown()


def _keep_or_drop_connections() -> None:
    """Like Django's close_if_unusable_or_obsolete, without the age limit: a worker keeps its connection open
    unless an error left it broken or a transaction was left open."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
        elif conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


def _call(language, script_prefix, view, request, *args, **kwargs):
    set_script_prefix(script_prefix)
    try:
        with translation.override(language):
            return view(request, *args, **kwargs)
    finally:
        _keep_or_drop_connections()


def _run(fn, args):
    try:
        return fn(*args)
    finally:
        _keep_or_drop_connections()


def submit(fn, *args):
    """Run fn(*args) on a ballot worker (flows/ballot_door/asgi.py's batches of casts); a concurrent.futures.Future."""
    return _executor().submit(_run, fn, args)


def on_ballot_worker(view):
    """Run this (synchronous) view on a ballot worker thread when BALLOT_WORKERS > 0."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.BALLOT_WORKERS:
            return view(request, *args, **kwargs)
        language, prefix = translation.get_language(), get_script_prefix()
        return _executor().submit(_call, language, prefix, view, request, *args, **kwargs).result()

    return wrapper
