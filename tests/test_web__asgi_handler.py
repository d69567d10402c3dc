"""The server's HTTP path (flows/web/middleware_asgi.py): a request runs from request_started to request_finished in
one worker thread of a fixed pool, which keeps its database connection, and answers as Django's own ASGI handler
did — an ordinary page, a streamed file, a redirect with its cookies, a CSRF refusal."""

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core import signals
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client

from flows.models import User
from flows.web.middleware_asgi import OneHopASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)


def ask(app, method, path, headers=(), body=b""):
    headers = [(b"host", b"127.0.0.1"), *headers]
    return async_to_sync(HttpCommunicator(app, method, path, body=body, headers=headers).get_response)(timeout=30)


def signed_in_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def test_a_page_a_file_and_a_refusal_answer_as_before(demo):
    app = OneHopASGIHandler(threads=2)
    user = User.objects.get(username="shuji")
    page = ask(app, "GET", "/tasks/", headers=[(b"cookie", signed_in_cookie(user))])
    assert page["status"] == 200 and b"data-inbox-head" in page["body"]
    assert any(k.lower() == b"set-cookie" and v.startswith(b"csrftoken=") for k, v in page["headers"])
    static = ask(app, "GET", "/static/zerenzhi/app.css")  # WhiteNoise's file response, streamed from the thread
    assert static["status"] == 200 and len(static["body"]) > 1000
    assert ask(app, "GET", "/tasks/")["status"] == 302  # not signed in: to the login page
    refused = ask(app, "POST", "/logout/", headers=[(b"cookie", signed_in_cookie(user))])
    assert refused["status"] == 403  # no CSRF token


def test_each_request_runs_in_one_pool_thread_from_start_to_finish(demo):
    app = OneHopASGIHandler(threads=2)
    seen = []

    def started(**kwargs):
        seen.append(("started", threading.get_ident()))

    def finished(**kwargs):
        seen.append(("finished", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        for _ in range(4):
            assert ask(app, "GET", "/login/")["status"] == 200
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    pairs = list(zip(seen[::2], seen[1::2], strict=True))
    assert len(pairs) == 4
    assert all(s[0] == "started" and f[0] == "finished" and s[1] == f[1] for s, f in pairs)
    threads = {t for _event, t in seen}
    assert len(threads) <= 2 and threading.get_ident() not in threads  # the pool's, not the caller's


def test_a_pool_thread_keeps_its_sqlite_connection_between_requests(demo):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL hands each request a connection from its pool")
    app = OneHopASGIHandler(threads=1)
    opened = []

    def on_connect(sender, connection, **kwargs):
        opened.append(threading.get_ident())

    connection_created.connect(on_connect)
    try:
        for _ in range(5):
            assert ask(app, "GET", "/login/")["status"] == 200
    finally:
        connection_created.disconnect(on_connect)
    assert len(opened) <= 1  # the one worker thread opened one connection, if any, for five requests
