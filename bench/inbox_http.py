"""My tasks over HTTP: the page and the bare page (bench/bare_page.py) served by the project's ASGI application under
uvicorn (bench/served.py, as bin/serve runs it), asked for by 32 kept-alive connections of one signed-in user.

The client is raw asyncio sockets (it shares the two cores with the server, so it should cost as little as a client
can): every request is encoded once, each connection sends the next request when the whole answer has come, and
every answer is checked (200, and the page's rows or the bare page's count). Page and bare page take turns in
rounds of a few seconds, so that both meet the same load from whatever else runs on the machine. The figures:
requests a second for each, and the server's CPU time (user + system, from /proc) per request.
"""

import asyncio
import re
import time

CLIENTS = 32


def session_cookie(user) -> str:
    """A signed-in session for `user`, as the login page would leave it: the session cookie's value."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def _read_response(reader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if length:
        return head, await reader.readexactly(int(length.group(1)))
    body = b""  # chunked
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return head, body
        body += chunk[:-2]


async def _connection(port, request: bytes, check, until: float) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = bad = 0
    try:
        while time.perf_counter() < until:
            writer.write(request)
            head, body = await _read_response(reader)
            if head.startswith(b"HTTP/1.1 200") and check(body):
                done += 1
            else:
                bad += 1
    finally:
        writer.close()
    return done, bad


async def _round(port, request, check, seconds) -> tuple[int, int, float]:
    started = time.perf_counter()
    results = await asyncio.gather(*(_connection(port, request, check, started + seconds) for _ in range(CLIENTS)))
    return sum(d for d, _b in results), sum(b for _d, b in results), time.perf_counter() - started


def _csrf_cookie(server, path: str, cookies: str) -> str:
    """The CSRF cookie a browser keeps from the first page it gets (the page's forms carry its token), which it then
    sends with every request: without it, every page would make a new secret and set the cookie again."""
    import http.client

    from django.conf import settings

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookies})
    response = conn.getresponse()
    response.read()
    conn.close()
    found = re.search(rf"{settings.CSRF_COOKIE_NAME}=([^;]+)", response.getheader("Set-Cookie", ""))
    return f"; {settings.CSRF_COOKIE_NAME}={found.group(1)}" if found else ""


def measure(server, cookie: str, pages: dict, *, rounds: int, seconds: float) -> dict:
    """{name: (requests a second, server CPU seconds per request)} for each (path, check) of `pages`, asked for in
    turns of `seconds` each, `rounds` times over, by a signed-in browser (its session cookie `cookie`)."""
    from django.conf import settings

    totals = {name: [0, 0.0, 0.0] for name in pages}  # requests, seconds, server CPU
    cookies = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    cookies += _csrf_cookie(server, next(iter(pages.values()))[0], cookies)
    requests = {
        name: (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nCookie: {cookies}\r\nAccept: text/html\r\n\r\n"
        ).encode()
        for name, (path, _check) in pages.items()
    }
    for name, (_path, check) in pages.items():  # warm: each connection's first request, templates compiled
        asyncio.run(_round(server.port, requests[name], check, 0.3))
    for _ in range(rounds):
        for name, (_path, check) in pages.items():
            cpu = server.cpu_seconds()
            done, bad, elapsed = asyncio.run(_round(server.port, requests[name], check, seconds))
            assert bad == 0, f"{name}: {bad} answers were not the page"
            totals[name][0] += done
            totals[name][1] += elapsed
            totals[name][2] += server.cpu_seconds() - cpu
    return {name: (n / s, cpu / n) for name, (n, s, cpu) in totals.items()}
