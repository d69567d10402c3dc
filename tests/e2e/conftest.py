"""Playwright driving Debian's Chromium (/usr/bin/chromium), never a downloaded browser."""

import contextlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
# What a user waits for (a heading after a click, a row after a step) gets as long as the pages' actions: CI runs the
# SQLite and PostgreSQL suites side by side on two cores, where a page can take longer than Playwright's 5 s default.
expect.set_options(timeout=15_000)
UVICORN_FLAGS = [
    *("--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio", "--no-proxy-headers", "--no-access-log")
]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module: Playwright's event loop stops with it, so no later test runs beside one."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: bin/test installs Debian's chromium package"
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make are synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def log_in(page, settings):
    def _log_in(username):
        page.goto(page.base_url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(page.base_url + "/")

    return _log_in


def test_database_url() -> str:
    """The URL of the database this test runs on, for a server started in another process."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def suite_log_name(log_name: str) -> str:
    """A server's log file named for the suite too: bin/test runs the SQLite and PostgreSQL suites side by side."""
    from django.db import connection

    return f"{log_name}-{connection.vendor}"


@contextlib.contextmanager
def asgi_process(*, log_name="asgi-test", **env_extra):
    """The real ASGI server, started as bin/serve starts it (uvicorn, websockets included), in a subprocess, on this
    test's database; yields its URL. Stopped at the end, killed if it will not stop (it waits for open websockets)."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {
        "DATABASE_URL": test_database_url(),
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
        "BALLOT_WORKERS": "1",  # the ballot pages on their worker thread, as in production
        **env_extra,
    }
    var = ARTIFACTS.parent / "var"
    log_name = suite_log_name(log_name)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *UVICORN_FLAGS,
            "project.asgi:application",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=open(var / f"{log_name}.out", "w"),  # noqa: SIM115
        stderr=open(var / f"{log_name}.log", "w"),  # noqa: SIM115
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


@pytest.fixture
def asgi_server(transactional_db):
    with asgi_process() as url:
        yield url
