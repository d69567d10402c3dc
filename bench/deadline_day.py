"""Deadline day (issue 21): 200 officials on the served site at once, driven by locust (headless, a separate
process), against the bare Django page over HTTP in the same run as the floor.

The stack: on PostgreSQL (DATABASE_URL), the scale-out stack as bin/scaleout runs it on one machine: production
settings, a Redis channel layer and cache (REDIS_URL, default db 13 of the machine's Redis), two uvicorn processes;
otherwise the embedded default as bin/serve runs it: SQLite, dev settings, one process. The bench's name says which.

The data, written in bulk into the bench's database: a county-sized synthetic tree (`DY-…`) with a secretary and a
person in direct charge for every organisation; 190 officials are in direct charge of `tasks_each` grassroots
branches each, and 10 officers work in the oversight office; a cycle of this year (self-assessment due 10
December) is opened and launched, so every official has `tasks_each` self-assessments to draft in 我的待办.

The load (bench/deadline_day_locust.py, locust headless in a process of its own; FastHttpUser): 200 simulated
users, no think time (BENCH_DEADLINE_THINK sets one), 50 started a second. `logins` of them log in through the real
login form (CSRF token, the product's password hasher; every password right, so django-axes never locks anyone out;
a login the server fails is tried again); the others carry a session from earlier in the day (a browser keeps its
login for the working day), made by the bench as Django's login makes one. Officials: 我的待办, open a task, save a
draft (scores, notes, report and evidence files: multipart), open it again, submit it (every 10th submit of the run a
double click: exactly one of the two POSTs may succeed, the other must be answered 409 "already handled"). Officers:
the cycle dashboard and 我的待办. The floor: the same 200 users, signed in, GETting bench/bare_page.py's page on the
same server, just before. Each locust task is one request and the run ends with --stop-timeout, so every request
sent is answered before the database is checked.

Checked against the database afterwards: every submit the load test got a success for is exactly one audit row
`assessment.submit_self`, one finished draft task and one approval task for the secretary (nothing lost, nothing
doubled); no assessment moved that the load test did not see succeed (never sent, or answered with an error); the
audit chain is intact.

Throughput counts the requests answered as expected (a 503 "service unavailable" is fast and no work done).
Target: no errors, nothing lost or doubled, every login through, and the mix's throughput at least half the bare
page's. Per-type p50/p95/p99 (locust's), errors, server and locust CPU and the load average go to stderr.
"""

import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USERS = int(os.environ.get("BENCH_DEADLINE_USERS", 200))  # fewer only to try the bench out
OFFICERS = 10
SPAWN_RATE = 50
PASSWORD = "Jiezhi-ri-2026!"
PREFIX = "DY"
DOUBLE_CLICK_EVERY = 10
STOP_TIMEOUT = 90
LOCUSTFILE = Path(__file__).with_name("deadline_day_locust.py")


def sizes(quick: bool) -> dict:
    env = os.environ.get
    return {
        "tasks_each": int(env("BENCH_DEADLINE_TASKS_EACH", 5 if quick else 30)),
        "mix_seconds": int(env("BENCH_DEADLINE_SECONDS", 60 if quick else 300)),
        "bare_seconds": int(env("BENCH_DEADLINE_BARE_SECONDS", 20 if quick else 60)),
        "logins": int(env("BENCH_DEADLINE_LOGINS", 40 if quick else 100)),
        "think": float(env("BENCH_DEADLINE_THINK", 0)),  # mean seconds between a user's requests
    }


def build(*, tasks_each: int) -> dict:
    """The tree, the people, the passwords and the launched cycle (see the module's docstring)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from bench.scene import synthetic_cycle
    from flows.models import Level, Organisation, Role, RoleAssignment, User
    from flows.services import cycles as cycle_svc
    from flows.services.people import office_join
    from flows.services.synthetic import _shape

    n_officials = USERS - OFFICERS
    branches_needed = n_officials * tasks_each

    def branches_in(n):  # the top, and as many counties and townships as the tree's shape puts over the branches
        counties, townships = _shape(n)
        return n - 1 - counties * (1 + townships)

    n = branches_needed + 1
    while branches_in(n) < branches_needed:
        n += 1
    year = timezone.localdate().year
    scene = synthetic_cycle(
        prefix=PREFIX, n=n, label="截止日", people=True, superuser=False, scope_code=f"{PREFIX}-000001", year=year
    )
    password = make_password(PASSWORD)  # hashed once: the same hash for everyone, as the product's hasher makes it
    User.objects.bulk_create(
        [User(username=f"dy-fenguan-{i:03d}", real_name=f"分管{i:03d}", password=password) for i in range(n_officials)]
    )
    officials = list(User.objects.filter(username__startswith="dy-fenguan-").order_by("username"))
    branches = list(
        Organisation.objects.filter(code__startswith=f"{PREFIX}-", level=Level.GRASSROOTS)
        .order_by("path")
        .values_list("pk", flat=True)[:branches_needed]
    )
    assert len(branches) == branches_needed, f"{len(branches)} branches for {branches_needed} tasks"
    deputies = {
        ra.organisation_id: ra
        for ra in RoleAssignment.objects.filter(organisation_id__in=branches, role=Role.DEPUTY, end__isnull=True)
    }
    for i, org_id in enumerate(branches):
        deputies[org_id].user_id = officials[i // tasks_each].pk
    RoleAssignment.objects.bulk_update(list(deputies.values()), ["user"], batch_size=2000)
    start = timezone.localdate().replace(month=1, day=1)
    officers = [scene.officer]
    for i in range(1, OFFICERS):
        officer = User.objects.create(username=f"dy-officer-{i:02d}", real_name=f"组织部{i:02d}", password=password)
        office_join(by=None, user=officer, office=scene.office, role="officer", start=start)
        officers.append(officer)
    User.objects.filter(pk=scene.officer.pk).update(password=password)
    cycle_svc.cycle_open(by=scene.officer, cycle=scene.cycle)
    cycle_svc.cycle_launch(cycle=scene.cycle)
    mine = Task.objects.filter(owner__in=officials, status=STATUS.ASSIGNED).count()
    assert mine == branches_needed, f"{mine} open tasks for the officials, expected {branches_needed}"
    return {
        "cycle": scene.cycle,
        "officials": officials,
        "officers": list(User.objects.filter(pk__in=[o.pk for o in officers])),
    }


def sessions(users) -> dict:
    """{user id: session key}: a session as django.contrib.auth.login makes one (signed in earlier in the day)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    keys = {}
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        keys[user.pk] = store.session_key
    return keys


def locust(server, config: dict, classes: list[str], seconds: int, workdir: Path, name: str) -> dict:
    """Run locust against the server for `seconds`; its per-type statistics, failures and what it saw."""
    config_path = workdir / f"{name}-config.json"
    config["results"] = str(workdir / f"{name}-seen.json")
    config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    prefix = workdir / name
    command = [
        str(Path(sys.executable).with_name("locust")),
        *("-f", str(LOCUSTFILE), "--headless", "-u", str(USERS), "-r", str(SPAWN_RATE)),
        *("-t", f"{seconds}s", "--host", server.url, "--csv", str(prefix), "--only-summary"),
        # at the end every user finishes the request it is waiting for (each task is one request), so that
        # every submit sent is answered before the database is checked
        *("--loglevel", "WARNING", "--stop-timeout", str(STOP_TIMEOUT), *classes),
    ]
    before_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = server.cpu_seconds()
    started = time.perf_counter()
    with open(workdir / f"{name}-locust.log", "w") as log:
        subprocess.run(
            command,
            env=os.environ | {"DEADLINE_DAY_CONFIG": str(config_path)},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + STOP_TIMEOUT + 120,
            check=False,  # locust exits 1 when any request failed: the statistics say which
        )
    wall = time.perf_counter() - started
    after_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise RuntimeError(
            f"locust wrote no statistics; its log: {(workdir / f'{name}-locust.log').read_text()[-3000:]}"
        )
    with open(stats_file, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as f:
        failures = [
            {"method": r["Method"], "name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
            for r in csv.DictReader(f)
        ]
    with open(f"{prefix}_exceptions.csv", newline="", encoding="utf-8") as f:
        exceptions = [{"count": int(r["Count"]), "error": r["Message"]} for r in csv.DictReader(f)]
    per_type = {
        r["Name"]: {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "rps": float(r["Requests/s"]),
            "p50_ms": _ms(r["50%"]),
            "p95_ms": _ms(r["95%"]),
            "p99_ms": _ms(r["99%"]),
            "max_ms": _ms(r["Max Response Time"]),
        }
        for r in rows
    }
    seen_path = Path(config["results"])
    return {
        "types": per_type,
        "total": per_type["Aggregated"],
        "failures": failures,
        "exceptions": exceptions,  # raised inside the load test's own code: the bench is broken, not the server
        "seen": json.loads(seen_path.read_text()) if seen_path.exists() else None,
        "wall_s": wall,
        "locust_cpu_s": (after_cpu.ru_utime + after_cpu.ru_stime) - (before_cpu.ru_utime + before_cpu.ru_stime),
        "server_cpu_s": server.cpu_seconds() - server_cpu,
        "load_average": [round(x, 2) for x in load],
    }


def answered_rps(phase) -> float:
    total = phase["total"]
    return total["rps"] * (total["requests"] - total["failures"]) / total["requests"] if total["requests"] else 0.0


def _ms(text):
    return None if text in ("", "N/A") else float(text)


def check(cycle, seen: dict) -> dict:
    """What the load test was told against what the database holds (see the module's docstring)."""
    from collections import Counter

    from django.db.models import Count
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from flows.flows import AssessmentFlow
    from flows.models import Assessment, AuditEntry, Stage

    assessments = {
        p: (pk, state)
        for pk, p, state in Assessment.objects.filter(cycle=cycle).values_list("pk", "process_id", "state")
    }
    by_pk = {pk: p for p, (pk, _state) in assessments.items()}
    audit = Counter()
    for subject_id, n in (
        AuditEntry.objects.filter(action="assessment.submit_self", subject_type="flows.assessment")
        .values_list("subject_id")
        .annotate(n=Count("id"))
    ):
        if int(subject_id) in by_pk:
            audit[by_pk[int(subject_id)]] = n

    def per_process(node, **status):
        rows = Task.objects.filter(process_id__in=list(assessments), flow_task=node, **status)
        return Counter(dict(rows.values_list("process_id").annotate(n=Count("id")).values_list("process_id", "n")))

    drafts_done = per_process(AssessmentFlow.draft_self, status=STATUS.DONE)
    drafts_open = per_process(AssessmentFlow.draft_self, status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED])
    approvals = per_process(AssessmentFlow.approve_self)
    ok = Counter(p for p, _task in seen["submit_ok"])
    attempted = {p for p, _task in seen["submit_attempted"]}
    moved = {p for p, (_pk, state) in assessments.items() if state != Stage.SELF_ASSESSMENT}
    submitted = set(audit) | set(drafts_done) | moved
    lost = sorted(p for p in ok if audit[p] == 0 or drafts_done[p] == 0 or p not in moved)
    doubled = sorted(
        p
        for p in submitted | set(ok)
        if ok[p] > 1 or audit[p] > 1 or drafts_done[p] > 1 or approvals[p] > 1 or (p in moved and drafts_open[p])
    )
    inconsistent = sorted(p for p in submitted if not (audit[p] == drafts_done[p] == approvals[p] == 1 and p in moved))
    return {
        "submits_acknowledged": len(ok),
        "submits_in_database": len(submitted),
        "lost": len(lost),
        "doubled": len(doubled),
        "inconsistent": len(inconsistent),
        "never_submitted_but_moved": len(submitted - attempted),
        # a submit the load test was told had failed, or never got an answer to, that was taken all the same
        "unacknowledged_taken": len((submitted & attempted) - set(ok)),
        "examples": {"lost": lost[:5], "doubled": doubled[:5], "inconsistent": inconsistent[:5]},
    }


def audit_chain_intact() -> bool | None:
    try:
        from flows.audit.verify import verify_chain
    except ImportError:  # pragma: no cover
        return None
    report = verify_chain(settle=10)
    if report.broken is not None:
        print(f"# deadline_day: audit chain broken: {report.broken}", file=sys.stderr, flush=True)
    return report.broken is None


def run(*, quick: bool, emit):
    from django.conf import settings
    from django.db import connection

    from bench.bare_page import BARE_PATH
    from bench.served import served

    size = sizes(quick)
    vendor = connection.vendor
    scale_out = vendor == "postgresql"
    started = time.perf_counter()
    data = build(tasks_each=size["tasks_each"])
    people = [*data["officials"], *data["officers"]]
    keys = sessions(people)
    every = max(1, USERS // size["logins"]) if size["logins"] else 0

    def person(user, i, *, may_log_in):
        return {
            "username": user.username,
            "password": PASSWORD,
            "session": keys[user.pk],
            "login": bool(may_log_in and every and i % every == 0),
        }

    base = {
        "think": size["think"],
        "cycle": data["cycle"].pk,
        "bare_path": BARE_PATH,
        "session_cookie": settings.SESSION_COOKIE_NAME,
    }
    mix_config = base | {
        "officials": [person(u, i, may_log_in=True) for i, u in enumerate(data["officials"])],
        "officers": [person(u, i, may_log_in=True) for i, u in enumerate(data["officers"])],
        "double_click_every": DOUBLE_CLICK_EVERY,
    }
    bare_config = base | {"everyone": [person(u, i, may_log_in=False) for i, u in enumerate(people)]}
    logins = sum(p["login"] for p in [*mix_config["officials"], *mix_config["officers"]])
    prepared = time.perf_counter() - started
    workdir = Path(tempfile.mkdtemp(prefix="zerenzhi-deadline-"))
    if scale_out:
        stack = "PostgreSQL + Redis, 2 uvicorn processes, production settings"
        server = served(
            workers=2,
            urlconf="bench.bare_page",
            settings_module="project.settings.production",
            env={
                "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13",
                "PLAIN_HTTP_ON_LOOPBACK": "1",
            },
        )
    else:
        stack = f"the embedded default ({vendor}, 1 uvicorn process, dev settings)"
        server = served(workers=1, urlconf="bench.bare_page")
    connection.close()  # the server writes; this process only reads again afterwards
    with server as s:
        bare = locust(s, bare_config, ["BarePage"], size["bare_seconds"], workdir, "bare")
        mix = locust(s, mix_config, ["Official", "Officer"], size["mix_seconds"], workdir, "mix")
    result = check(data["cycle"], mix["seen"])
    chain = audit_chain_intact()

    mix_rps, bare_rps = answered_rps(mix), answered_rps(bare)  # a refused request (503 …) is no throughput
    errors = mix["total"]["failures"] + bare["total"]["failures"]
    errors += sum(e["count"] for e in mix["exceptions"] + bare["exceptions"])
    seen = mix["seen"]
    print(
        f"# deadline_day ({stack}): {USERS} users ({len(data['officials'])} officials with "
        f"{size['tasks_each']} tasks each, {len(data['officers'])} officers), {logins} logging in through the form; "
        f"prepared in {prepared:.1f} s; bare page {size['bare_seconds']} s, mix {size['mix_seconds']} s",
        file=sys.stderr,
        flush=True,
    )
    for label, phase in (("bare", bare), ("mix", mix)):
        print(
            f"# deadline_day {label}: {phase['total']['requests']} requests, {phase['total']['rps']:.1f}/s, "
            f"{phase['total']['failures']} failed ({answered_rps(phase):.1f}/s answered well); "
            f"server CPU {phase['server_cpu_s']:.1f} s "
            f"({phase['server_cpu_s'] * 1000 / max(1, phase['total']['requests']):.1f} ms a request), locust CPU "
            f"{phase['locust_cpu_s']:.1f} s over {phase['wall_s']:.1f} s; load average {phase['load_average']}",
            file=sys.stderr,
            flush=True,
        )
        for name, stats in phase["types"].items():
            print(f"# {json.dumps({'phase': label, 'type': name, **stats}, ensure_ascii=False)}", file=sys.stderr)
        for failure in phase["failures"]:
            print(f"# {json.dumps({'phase': label, 'failure': failure}, ensure_ascii=False)}", file=sys.stderr)
        for exception in phase["exceptions"]:
            print(f"# {json.dumps({'phase': label, 'exception': exception}, ensure_ascii=False)}", file=sys.stderr)
    print(
        f"# deadline_day check: {json.dumps(result, ensure_ascii=False)}; saves {seen['saves_ok']}, logins "
        f"{seen['logins_ok']}/{logins} ({seen['logins_failed']} gave up), officials out of work {seen['ran_out']}, "
        "double clicks "
        f"{len(seen['double_click'])}, audit chain intact: {chain}; anomalies: {seen['anomalies'][:5]}",
        file=sys.stderr,
        flush=True,
    )
    ratio = mix_rps / bare_rps if bare_rps else 0.0
    clean = errors == 0 and result["lost"] == result["doubled"] == result["inconsistent"] == 0
    clean = clean and result["never_submitted_but_moved"] == result["unacknowledged_taken"] == 0
    clean = clean and not seen["anomalies"] and chain is not False
    return [
        emit(
            f"deadline_day_mix_{vendor}",
            mix_rps,
            "requests/s",
            bare_rps,
            0.5,
            ok=ratio >= 0.5 and clean and seen["logins_ok"] == logins,
            ratio=ratio,
        )
    ]


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run it through the bench: python -m bench --only deadline")
