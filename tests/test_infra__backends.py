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
