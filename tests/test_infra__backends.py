"""The suite really runs on the configuration it claims: SQLite in WAL mode, or PostgreSQL and Redis."""

import os

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_database_is_the_one_asked_for():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        assert connection.vendor == "postgresql"
        with connection.cursor() as cur:
            cur.execute("select version()")
            assert "PostgreSQL" in cur.fetchone()[0]
    else:
        assert connection.vendor == "sqlite"
        with connection.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            assert cur.fetchone()[0].lower() == "wal"
        assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_the_channel_layer_delivers_a_message():
    layer = get_channel_layer()
    expected = "RedisChannelLayer" if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
    assert type(layer).__name__ == expected
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "test.message", "text": "催办"})
    assert async_to_sync(layer.receive)(channel)["text"] == "催办"


def test_a_socket_closed_at_any_moment_leaves_no_receive_loop_behind():
    """A consumer whose websocket closes cancels its wait on the channel layer. Cancelled at 120 moments spread over
    the first 3 ms (connecting, handshaking, sending the first command), every wait must end: with Redis a swallowed
    cancellation would leave a loop polling Redis for ever, and a test run that waits for it would never finish."""
    import asyncio

    from channels.layers import channel_layers

    async def cancelled_after(delay):
        layer = channel_layers.make_backend("default")  # a fresh layer: its first receive opens the connection
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(delay)
        waiting.cancel()
        done, _ = await asyncio.wait([waiting], timeout=2)
        if hasattr(layer, "close_pools"):
            await layer.close_pools()
        return bool(done)

    async def scenario():
        return [await cancelled_after(n * 0.000025) for n in range(120)]

    ended = async_to_sync(scenario)()
    assert all(ended), f"{ended.count(False)} of 120 cancelled waits were still running 2 s later"


def test_background_jobs_use_redis_as_broker_when_scaled_out():
    expected = os.environ.get("REDIS_URL") or "memory://"
    assert settings.CELERY_BROKER_URL == expected


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_each_request_takes_a_pooled_connection_instead_of_opening_one():
    """Under ASGI every request runs in a thread of its own: without the pool each one opened a connection."""
    if connection.vendor == "sqlite":  # the embedded default: a file, opened in a fraction of a millisecond
        assert "pool" not in settings.DATABASES["default"].get("OPTIONS", {})
        return
    connection.ensure_connection()
    pool = connection.pool
    opened = pool.get_stats().get("connections_num", 0)
    for _ in range(10):  # what the end of a request and the start of the next do
        connection.close()
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone()[0] == 1
    assert pool.get_stats().get("connections_num", 0) == opened, "a connection was opened instead of reused"
    assert pool.get_stats()["requests_num"] >= 10
