"""Audited writes during a long import (issue 23): a queue claim, an approval and a sweep's escalation, timed while
the Excel roster import of N rows (N people, a role each, over about N organisations; 2N audit rows) runs in
another thread, against the same operations with no import running. Target: p95 ≤ 1 s for each.

The import is the real one (`run_import("organisations", …, commit=True)`, one transaction). On PostgreSQL its
transaction is kept open a few seconds more (2 quick, 5 full) after every row is written (its `before_commit`),
standing in for the rest of a long import (the issue's took 8 minutes): an audited write that needed anything the
import holds would wait for all of it (before issue 23 every one did: their p95 was the hold itself). On
SQLite there is no hold: an IMMEDIATE transaction holds the database's write lock from its start, so there every
writer waits for the import whatever the audit log does, and the figure says how long.

The operations are issued open-loop, one every INTERVAL seconds in a thread (a connection) of its own, as requests
arrive — a closed loop would hide a wait behind the first operation that waits. Each uses a fresh assessment:
* claim: `tasks_claim` of an unassigned 自评 task by the person in direct charge;
* approval: `step_take(assessment, "approve_self")` by the secretary, in its own transaction;
* sweep: one escalation as `deadlines_sweep` records it (reminder, notifications, audit row; its `_record`), then
  the sweeps' linking step (`audit_link_pending`). The whole sweep walks every open task of the database — in a
  bench run the other benchmarks' hundreds of thousands — so its audited step is what is timed.
Each time includes the commit and the linking step after it, as a request's would.
"""

import datetime
import math
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.scene import synthetic_cycle

INTERVAL = 0.1
KINDS = ("claim", "approval", "sweep")


def _p95(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Ops:
    """The prepared assessments, a queue per kind, and the operations on them."""

    def __init__(self, cycle, per_kind: int):
        from viewflow.workflow.models import Task

        from flows.flows import AssessmentFlow
        from flows.models import Assessment, Role, RoleAssignment, Stage
        from flows.policy import access

        rows = list(
            Assessment.objects.filter(cycle=cycle)
            .select_related("organisation")
            .order_by("pk")[: per_kind * len(KINDS)]
        )
        assert len(rows) == per_kind * len(KINDS), "the cycle has too few assessments"
        tasks = {
            t.process_id: t.pk
            for t in Task.objects.filter(process__in=[a.process_id for a in rows], flow_task=AssessmentFlow.draft_self)
        }
        drafters = access.in_direct_charge_ids([a.organisation_id for a in rows])
        secretaries = dict(
            RoleAssignment.objects.current()
            .filter(organisation__in=[a.organisation_id for a in rows], role=Role.SECRETARY)
            .values_list("organisation_id", "user_id")
        )
        self.queues = {kind: rows[i::3] for i, kind in enumerate(KINDS)}
        self.task_of = {a.pk: tasks[a.process_id] for a in rows}
        self.drafter = {a.pk: drafters[a.organisation_id] for a in rows}
        self.secretary = {a.pk: secretaries[a.organisation_id] for a in rows}
        # claims take a task nobody holds yet; approvals find the self-assessment submitted
        Task.objects.filter(pk__in=[self.task_of[a.pk] for a in self.queues["claim"]]).update(owner=None, status="NEW")
        Assessment.objects.filter(pk__in=[a.pk for a in self.queues["approval"]]).update(state=Stage.SELF_APPROVAL)
        self.lock = threading.Lock()

    def take(self, kind):
        with self.lock:
            return self.queues[kind].pop(0) if self.queues[kind] else None

    def left(self) -> int:
        return min(len(q) for q in self.queues.values())

    def run(self, kind, a):
        from django.db import transaction
        from viewflow.workflow.models import Task

        from flows.models import Assessment, ReminderKind, User
        from flows.services import deadlines
        from flows.services.audit import audit_link_pending
        from flows.services.steps import step_take
        from flows.services.tasks import tasks_claim

        if kind == "claim":
            by = User.objects.get(pk=self.drafter[a.pk])
            assert tasks_claim(by=by, task_ids=[self.task_of[a.pk]]) == 1
        elif kind == "approval":
            by = User.objects.get(pk=self.secretary[a.pk])
            with transaction.atomic():
                locked = Assessment.objects.select_for_update().get(pk=a.pk)
                step_take(locked, "approve_self", by=by, comment="同意")
        else:
            task = Task.objects.get(pk=self.task_of[a.pk])
            assessment = Assessment.objects.select_related("organisation", "cycle").get(pk=a.pk)
            due = datetime.date.today() - datetime.timedelta(days=1)
            assert deadlines._record(ReminderKind.ESCALATE_SECRETARY, task, assessment, due)
            audit_link_pending()


def _issue(ops: Ops, until, times: dict, errors: list, limit: int | None = None) -> list[threading.Thread]:
    """Start one operation every INTERVAL seconds, kinds in turn, until `until()` says stop, `limit` are started or
    the assessments run out; returns the threads."""
    from django.db import connection

    def one(kind, a):
        started = time.perf_counter()
        try:
            ops.run(kind, a)
        except Exception as e:  # noqa: BLE001 - counted and reported; its time still counts
            errors.append(f"{kind}: {e!r}")
        finally:
            times[kind].append(time.perf_counter() - started)
            connection.close()

    threads, turn, next_at = [], 0, time.perf_counter()
    while not until() and ops.left() and (limit is None or len(threads) < limit):
        now = time.perf_counter()
        if now < next_at:
            time.sleep(min(0.01, next_at - now))
            continue
        kind = KINDS[turn % len(KINDS)]
        turn += 1
        t = threading.Thread(target=one, args=(kind, ops.take(kind)), daemon=True)
        t.start()
        threads.append(t)
        next_at += INTERVAL
    return threads


def _roster(n: int, codes: list[str]) -> Path:
    from openpyxl import Workbook

    path = Path(tempfile.mkdtemp(prefix="zerenzhi-audit-bench-")) / "roster.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("任职")
    ws.append(["用户名", "姓名", "职务", "组织编码", "角色", "任职开始日期", "任职结束日期"])
    start = datetime.date(2026, 1, 1)
    for i in range(n):
        ws.append([f"ai{i:06d}", f"党员{i:06d}", "党员", codes[i % len(codes)], "党员", start, None])
    wb.save(path)
    return path


def run(*, quick: bool, emit):
    from django.db import connection

    from flows.excel.importing import run_import
    from flows.models import AuditEntry, Organisation, RoleAssignment
    from flows.services import cycles as cycle_svc
    from flows.services.synthetic import synthetic_tree

    vendor = connection.vendor
    n = 1_500 if quick else 15_000
    floor_each = 8 if quick else 20
    during_max = 90 if quick else 300  # operations at most while the import runs (its time / INTERVAL, and more)
    hold = (2.0 if quick else 5.0) if vendor == "postgresql" else 0.0
    per_kind = 1 + floor_each + during_max // len(KINDS)  # one of each to warm up

    scene = synthetic_cycle(
        prefix="AI", n=per_kind * len(KINDS) + 1, label="审计基准", people=True, scope_code="AI-000001"
    )
    cycle_svc.cycle_open(by=scene.officer, cycle=scene.cycle)
    cycle_svc.cycle_launch(cycle=scene.cycle)
    synthetic_tree(n=n + 1, under=scene.root, prefix="AR")
    codes = list(Organisation.objects.filter(code__startswith="AR-", depth__gte=3).values_list("code", flat=True))
    path = _roster(n, codes)
    ops = Ops(scene.cycle, per_kind)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    for kind in KINDS:  # caches and connections warm, as in a running server
        ops.run(kind, ops.take(kind))

    # the floor: the same operations, nothing else running
    floor_times = {k: [] for k in KINDS}
    errors: list[str] = []
    threads = _issue(ops, lambda: False, floor_times, errors, limit=floor_each * len(KINDS))
    for t in threads:
        t.join()

    # during the import
    times = {k: [] for k in KINDS}
    written, stop = threading.Event(), threading.Event()
    outcome = {}
    roles_before = RoleAssignment.objects.count()

    def hold_open(report):
        written.set()
        stop.wait(hold + 60)  # the main thread lets go `hold` seconds after the rows are written

    def import_roster():
        started = time.perf_counter()
        try:
            outcome["report"] = run_import("organisations", path, scene.officer, commit=True, before_commit=hold_open)
        except Exception as e:  # noqa: BLE001 - reported below
            outcome["error"] = repr(e)
        finally:
            outcome["took"] = time.perf_counter() - started
            written.set()
            connection.close()

    importer = threading.Thread(target=import_roster, daemon=True)
    state = {"written_at": None}

    def until():
        if written.is_set():
            if state["written_at"] is None:
                state["written_at"] = time.perf_counter()
            if time.perf_counter() - state["written_at"] >= hold:
                stop.set()
        return not importer.is_alive()

    importer.start()
    threads = _issue(ops, until, times, errors)
    stop.set()
    importer.join()
    for t in threads:
        t.join()

    report = outcome.get("report")
    assert report is not None and report.applied, outcome.get("error") or report.lines()[:5]
    assert RoleAssignment.objects.count() == roles_before + n
    assert not AuditEntry.objects.filter(seq__isnull=True).exists(), "audit rows left unlinked"
    print(
        f"# audit_during_import {vendor}: import {outcome['took']:.1f} s (held open {hold:.0f} s), "
        f"operations during it {sum(len(v) for v in times.values())}, errors {len(errors)} {errors[:3]}, "
        + ", ".join(f"{k} max {max(times[k]):.3f} s" for k in KINDS if times[k]),
        file=sys.stderr,
        flush=True,
    )
    lines = []
    for kind in KINDS:
        if not times[kind]:
            continue
        value, floor = _p95(times[kind]), _p95(floor_times[kind])
        ok = value <= 1.0 and not any(e.startswith(kind) for e in errors)
        lines.append(emit(f"audit_during_import_{n}_rows_{vendor}_{kind}_p95", value, "s", floor, 1.0, ok=ok))
    return lines
