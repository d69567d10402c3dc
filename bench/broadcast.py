"""1,000 websocket clients connected to the ASGI server (uvicorn as bin/serve runs it, Redis channel layer) each
receive one broadcast: all delivered, p99 latency from the send to the receipt under 1 s. Floor: the same clients
receiving the same broadcast from a bare `websockets` server in this process (no Django, no channel layer), measured
in the same run."""

import asyncio
import os
import statistics
import sys
import time

from bench.served import free_port, served

CLIENTS = 1000


async def _connect_all(url, n, headers):
    """Open n connections, 50 at a time; a handshake the busy server drops is tried again (up to 5 times)."""
    import websockets

    async def one():
        for attempt in range(5):
            try:
                return await websockets.connect(url, additional_headers=headers, open_timeout=30)
            except (OSError, websockets.exceptions.InvalidHandshake, websockets.exceptions.InvalidMessage):
                await asyncio.sleep(0.2 * (attempt + 1))
        return await websockets.connect(url, additional_headers=headers, open_timeout=30)

    conns = []
    for start in range(0, n, 50):
        conns += await asyncio.gather(*(one() for _ in range(min(50, n - start))))
    return conns


async def _receive_all(conns, timeout=20):
    async def one(ws):
        await asyncio.wait_for(ws.recv(), timeout)
        return time.perf_counter()

    return await asyncio.gather(*(one(ws) for ws in conns), return_exceptions=True)


def _latencies(sent_at, received):
    errors = [r for r in received if not isinstance(r, float)]
    if errors:
        print(f"# {len(errors)} not delivered, e.g. {errors[0]!r}", file=sys.stderr)
    ok = [t - sent_at for t in received if isinstance(t, float)]
    return ok, len(received) - len(ok)


async def _floor(n):
    """A bare websockets server broadcasting one message to n clients."""
    import websockets

    clients = set()
    ready = asyncio.Event()

    async def handler(ws):
        clients.add(ws)
        if len(clients) == n:
            ready.set()
        await ws.wait_closed()

    port = free_port()
    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None):
        conns = await _connect_all(f"ws://127.0.0.1:{port}/", n, {})
        await asyncio.wait_for(ready.wait(), 30)
        receiving = asyncio.ensure_future(_receive_all(conns))
        await asyncio.sleep(0.2)
        sent_at = time.perf_counter()
        websockets.broadcast(clients, '{"type": "cycle"}')
        received = await receiving
        for ws in conns:
            await ws.close()
    return _latencies(sent_at, received)


def run(*, quick: bool, emit):
    import redis
    from channels.layers import channel_layers, get_channel_layer
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from flows.models import Kind, Level, Organisation, OversightOffice, ReviewCycle, User
    from flows.services import cycles as cycle_svc
    from flows.services.indicators import templates_load_defaults
    from flows.services.notifications import cycle_group
    from flows.services.people import office_join

    n = 200 if quick else CLIENTS
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()  # the scale-out layer this figure is about

    import datetime

    templates_load_defaults()
    root = Organisation.objects.filter(depth=1).first() or Organisation.objects.add_root(
        {"code": "WS", "name": "推送基准市委", "kind": Kind.LOCAL_COMMITTEE, "level": Level.CITY}
    )
    officer = User.objects.create(username="ws-officer", real_name="推送")
    office = OversightOffice.objects.create(
        code="WS-ZZB", name="推送组织部", kind="organisation_department", scope=root
    )
    office_join(by=None, user=officer, office=office, role="officer", start=datetime.date(2020, 1, 1))
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=2040,
        name="推送基准",
        **cycle_svc.due_dates_for_year(2040),
    )
    assert isinstance(cycle, ReviewCycle)
    session = SessionStore()
    session[SESSION_KEY] = str(officer.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = officer.get_session_auth_hash()
    session.create()

    redis.Redis.from_url(redis_url).delete(f"asgi:group:{cycle_group(cycle.pk)}")  # members left by an earlier run
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 30}]},
        }
    }
    channel_layers.backends.clear()  # an earlier benchmark's push made the in-memory layer: ask for the Redis one
    with served(env={"REDIS_URL": redis_url}) as server:
        port = server.port

        async def measure():
            headers = {
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
                "Origin": f"http://127.0.0.1:{port}",
            }
            members = redis.Redis.from_url(redis_url)
            memory_before = members.info("memory")["used_memory"]
            conns = await _connect_all(f"ws://127.0.0.1:{port}/ws/cycles/{cycle.pk}/", n, headers)
            for _ in range(300):  # wait until every consumer has joined the cycle's group
                if members.zcard(f"asgi:group:{cycle_group(cycle.pk)}") >= n:
                    break
                await asyncio.sleep(0.1)
            # for the capacity plan: what a connected page costs Redis (its group membership and channel)
            grown = members.info("memory")["used_memory"] - memory_before
            print(f"# broadcast: Redis memory per connected websocket {grown / n:.0f} bytes", file=sys.stderr)
            receiving = asyncio.ensure_future(_receive_all(conns))
            await asyncio.sleep(0.2)
            layer = get_channel_layer()
            sent_at = time.perf_counter()
            await layer.group_send(cycle_group(cycle.pk), {"type": "cycle.changed"})
            received = await receiving
            for ws in conns:
                await ws.close()
            return _latencies(sent_at, received)

        latencies, lost = asyncio.run(measure())
    floor_latencies, floor_lost = asyncio.run(_floor(n))
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else float("inf")
    floor_p99 = statistics.quantiles(floor_latencies, n=100)[98]
    return [
        emit(
            f"broadcast_{n}_websockets_p99",
            p99,
            "s",
            floor_p99,
            1.0,
            ok=(lost == 0 and len(latencies) == n and p99 < 1.0),
        )
    ]
