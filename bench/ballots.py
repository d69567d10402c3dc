"""Ballots cast over HTTP against the running server from this second process: uvicorn as bin/serve starts it (one
process), on whichever database DATABASE_URL names.

Value: accepted ballots per second; floor: the same casting done in-process without HTTP, one cast per transaction
(the database and the service alone); target: at least 500 accepted ballots/s, and the stored count equal to the
accepted count. stderr also gives the server's CPU per ballot and the in-process rate of batches of CLIENTS casts
(ballots_cast_together, what the ballot door commits). BENCH_BALLOT_SERVERS=uvicorn,uvicorn-3 compares
process counts in the same run (uvicorn-3: as bin/scaleout; fresh codes each, same database)."""

import asyncio
import datetime
import http.client
import os
import re
import sys
import time
import urllib.parse

CLIENTS = 8  # phones voting at the same time, each on its own connection


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


def _processes(name: str) -> int:
    """ "uvicorn" is one process (bin/serve), "uvicorn-N" N worker processes (bin/scaleout runs 3)."""
    base, _dash, count = name.partition("-")
    if base != "uvicorn" or not (count or "1").isdigit():
        raise SystemExit(f"BENCH_BALLOT_SERVERS: unknown server {name!r} (uvicorn or uvicorn-N)")
    return int(count or 1)


def _cast_over_http(processes: int, public_id, subject_id, codes) -> tuple[int, float, float, float]:
    """Start the server, cast every code from CLIENTS client connections, stop it: (accepted, seconds, the server's
    and this client's CPU seconds while casting)."""
    from bench.served import served

    with served(workers=processes) as server:
        cookie, token = _csrf(server.port, public_id)
        shares = [codes[i::CLIENTS] for i in range(CLIENTS)]
        server_cpu, client_cpu, started = server.cpu_seconds(), time.process_time(), time.perf_counter()
        accepted = asyncio.run(_voters(server.port, public_id, subject_id, shares, cookie, token))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = server.cpu_seconds() - server_cpu, time.process_time() - client_cpu
    return accepted, elapsed, server_cpu, client_cpu


def _batched_floor(campaign, codes) -> float:
    """In-process, without HTTP: casts committed CLIENTS at a time as the ballot door commits them."""
    from flows.models import Satisfaction
    from flows.services import ballots as svc

    subjects = list(campaign.subjects.all())
    marks = {(s.pk, ""): Satisfaction.SATISFIED for s in subjects}
    started = time.perf_counter()
    for i in range(0, len(codes), CLIENTS):
        svc.ballots_cast_together(
            casts=[
                {"campaign": campaign, "code": c, "marks": marks, "subjects": subjects} for c in codes[i : i + CLIENTS]
            ]
        )
    return len(codes) / (time.perf_counter() - started)


def run(*, quick: bool, emit):
    from django.db import connection

    from flows.models import Ballot

    n = 2_000 if quick else 10_000
    names = (os.environ.get("BENCH_BALLOT_SERVERS") or "uvicorn").split(",")
    processes = [_processes(name) for name in names]
    campaign, codes, floor_codes = _prepare(n * len(names), n // 2)
    floor = _floor(campaign, floor_codes[: n // 4])
    batched = _batched_floor(campaign, floor_codes[n // 4 :])
    subject_id = campaign.subjects.get().pk
    connection.close()
    lines = []
    for i, (name, count) in enumerate(zip(names, processes, strict=True)):
        stored_before = Ballot.objects.filter(campaign=campaign).count()
        connection.close()
        accepted, elapsed, server_cpu, client_cpu = _cast_over_http(
            count, campaign.public_id, subject_id, codes[i * n : (i + 1) * n]
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
            f"# {name} ({count} process{'es' if count > 1 else ''}): accepted {accepted} of {n} issued, stored "
            f"{stored}; CPU per ballot: server {server_cpu * 1000 / max(accepted, 1):.2f} ms, client "
            f"{client_cpu * 1000 / max(accepted, 1):.2f} ms; in-process: {floor:.0f}/s one per transaction, "
            f"{batched:.0f}/s in batches of {CLIENTS}; load average {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
        )
    return lines
