"""Ballots cast over HTTP against the running embedded server (uvicorn + SQLite, as bin/serve starts it) from this
second process.

Value: accepted ballots per second; floor: the same casting done in-process without HTTP (the database and the
service alone); target: at least 500 accepted ballots/s, and the stored count equal to the accepted count.
BENCH_BALLOT_SERVERS=uvicorn,daphne,uvicorn-2 compares servers in the same run (fresh codes each, same database);
uvicorn alone (as bin/serve) by default."""

import asyncio
import datetime
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse

CLIENTS = 8  # phones voting at the same time, each on its own connection


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(n_http: int, n_floor: int):
    from django.utils import timezone

    from flows.models import BallotForm, CampaignKind, Kind, Level, Organisation, OversightOffice, User
    from flows.services import ballots as svc
    from flows.services.people import office_join

    root = Organisation.objects.filter(depth=1).first() or Organisation.objects.add_root(
        {"code": "BALLOT", "name": "投票基准", "kind": Kind.LOCAL_COMMITTEE, "level": Level.CITY}
    )
    branch = Organisation.objects.add_child(
        root,
        {
            "code": "BALLOT-1",
            "name": "投票基准支部",
            "kind": Kind.BRANCH,
            "level": Level.GRASSROOTS,
            "sector": "village",
        },
    )
    officer = User.objects.create(username="ballot-officer", real_name="基准")
    office = OversightOffice.objects.create(
        code="BALLOT-ZZB", name="基准组织部", kind="organisation_department", scope=root
    )
    office_join(by=None, user=officer, office=office, role="officer", start=datetime.date(2020, 1, 1))
    c = svc.campaign_create(
        by=officer,
        office=office,
        kind=CampaignKind.MASS,
        form=BallotForm.SATISFACTION,
        title="基准测评",
        subjects=[{"organisation": branch, "label": "基准支部"}],
        closes_at=timezone.now() + datetime.timedelta(hours=2),
    )
    c = svc.campaign_open(by=officer, campaign=c)
    return c, _issue(svc, officer, c, n_http, "群众"), _issue(svc, officer, c, n_floor, "党员")


def _issue(svc, officer, campaign, count, group) -> list[str]:
    """Codes in batches the service accepts (at most MAX_BATCH at a time)."""
    codes: list[str] = []
    while len(codes) < count:
        _b, batch = svc.tokens_issue(
            by=officer, campaign=campaign, count=min(svc.MAX_BATCH, count - len(codes)), group=group
        )
        codes += batch
    return codes


def _floor(campaign, codes) -> float:
    from flows.models import Satisfaction
    from flows.services import ballots as svc

    marks = {(s.pk, ""): Satisfaction.SATISFIED for s in campaign.subjects.all()}
    started = time.perf_counter()
    for code in codes:
        svc.ballot_cast(campaign=campaign, code=code, marks=marks)
    return len(codes) / (time.perf_counter() - started)


def _csrf(port, public_id) -> tuple[str, str]:
    """The CSRF cookie and form token a voter's browser gets with the ballot page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/v/{public_id}/")
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    return cookie, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)


async def _voter(port, public_id, subject_id, codes, cookie, token) -> int:
    """One phone after another on one kept-alive connection: POST the ballot, wait for the whole answer, count it
    when it is the receipt page. The requests are encoded before the clock starts (raw asyncio sockets: the client
    shares the two cores with the server, so it should cost as little as a client can)."""
    requests = []
    for code in codes:
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "code": code, f"m_{subject_id}_": "satisfied"})
        requests.append(
            (
                f"POST /v/{public_id}/cast/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n"
                f"Cookie: csrftoken={cookie}\r\nOrigin: http://127.0.0.1:{port}\r\n"
                f"Referer: http://127.0.0.1:{port}/v/{public_id}/\r\n\r\n{form}"
            ).encode()
        )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ok = 0
    for request in requests:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        body = await reader.readexactly(length)
        if head.startswith(b"HTTP/1.1 200") and b'id="receipt"' in body:
            ok += 1
    writer.close()
    return ok


async def _voters(port, public_id, subject_id, shares, cookie, token) -> int:
    return sum(await asyncio.gather(*(_voter(port, public_id, subject_id, s, cookie, token) for s in shares)))


SERVERS = {
    "daphne": ["-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "project.asgi:application"],
    # as bin/serve runs it
    "uvicorn": [
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--ws",
        "websockets-sansio",
        "--no-proxy-headers",
        "--no-access-log",
        "project.asgi:application",
    ],
}
# for comparison only (BENCH_BALLOT_SERVERS=uvicorn,uvicorn-2): two worker processes. Not the embedded default:
# its in-memory channel layer, scheduler and wrong-code counters live in one process.
SERVERS["uvicorn-2"] = [*SERVERS["uvicorn"][:-1], "--workers", "2", SERVERS["uvicorn"][-1]]


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its child processes (uvicorn --workers), from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _cast_over_http(server_args, port, public_id, subject_id, codes) -> tuple[int, float, float, float]:
    """Start the server, cast every code from CLIENTS client connections, stop it: (accepted, seconds, the server's
    and this client's CPU seconds while casting)."""
    from django.conf import settings

    env = os.environ | {
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": "project.settings.dev",
    }
    server = subprocess.Popen(
        [sys.executable, *(a.replace("{port}", str(port)) for a in server_args)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=settings.BASE_DIR,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        if os.environ.get("BENCH_SERVER_PID_FILE"):  # lets a profiler attach to the server
            with open(os.environ["BENCH_SERVER_PID_FILE"], "w") as f:
                f.write(str(server.pid))
        cookie, token = _csrf(port, public_id)
        shares = [codes[i::CLIENTS] for i in range(CLIENTS)]
        server_cpu, client_cpu, started = _cpu_seconds(server.pid), time.process_time(), time.perf_counter()
        accepted = asyncio.run(_voters(port, public_id, subject_id, shares, cookie, token))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = _cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
    finally:
        server.terminate()
        server.wait(10)
    return accepted, elapsed, server_cpu, client_cpu


def run(*, quick: bool, emit):
    from django.db import connection

    from flows.models import Ballot

    n = 2_000 if quick else 10_000
    names = os.environ.get("BENCH_BALLOT_SERVERS", "uvicorn").split(",")
    campaign, codes, floor_codes = _prepare(n * len(names), n // 4)
    floor = _floor(campaign, floor_codes)
    subject_id = campaign.subjects.get().pk
    connection.close()
    lines = []
    for i, name in enumerate(names):
        stored_before = Ballot.objects.filter(campaign=campaign).count()
        connection.close()
        accepted, elapsed, server_cpu, client_cpu = _cast_over_http(
            SERVERS[name], _free_port(), campaign.public_id, subject_id, codes[i * n : (i + 1) * n]
        )
        stored = Ballot.objects.filter(campaign=campaign).count() - stored_before
        rate = accepted / elapsed
        suffix = "" if name == "uvicorn" else f"_{name.replace('-', '_')}"
        lines.append(
            emit(
                f"ballots_over_http_{n}_{connection.vendor}{suffix}",
                rate,
                "ballots/s",
                floor,
                500,
                ok=rate >= 500 and stored == accepted == n,
                ratio=floor / rate if rate else None,
            )
        )
        print(
            f"# {name}: accepted {accepted} of {n}, stored {stored}; CPU per ballot: server "
            f"{server_cpu * 1000 / max(accepted, 1):.2f} ms, client {client_cpu * 1000 / max(accepted, 1):.2f} ms; "
            f"load average {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
        )
    return lines
