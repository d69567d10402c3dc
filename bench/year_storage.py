"""What one organisation-year costs the database, for the capacity plan (README, "Capacity plan"): a county of
synthetic grassroots organisations (40 with --quick, 2,000 in the full run; after a warm-up year of 10 elsewhere)
taken through a whole year by the real services, as officials take it — launch, self-assessment with a score and
a note per item, one evidence file per item that requires one, the secretary's approval, the mass score, the
superior review with its outcome (a third get a rectification item), the settlement of the ratings and the close —
and the database measured before and after.

Value: bytes the database grew by, per organisation-year (tables and their indexes). Floor: the same new rows as
plain text (every column of every new row, tab-separated, as a COPY would write them), per organisation-year.
Target: ratio ≤ 4 (indexes, page fill and per-row headers; more than that would be waste worth finding).
Printed on stderr for the plan: rows per organisation-year by table, the CPU seconds the year's steps cost
in-process per organisation, and the evidence bytes written to MEDIA_ROOT (here tiny PDFs; the plan uses the
upload limit)."""

import sys
import time
from decimal import Decimal

TARGET = 4


def _tables(connection) -> list[str]:
    """Tables with an integer primary key `id` (every table a year writes to, viewflow's included)."""
    names = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cols = {c.name: c for c in connection.introspection.get_table_description(cur, table)}
            kind = connection.introspection.get_field_type(cols["id"].type_code, cols["id"]) if "id" in cols else ""
            if "Auto" in kind or "Integer" in kind:
                names.append(table)
    return names


def _max_ids(connection, tables) -> dict[str, int]:
    with connection.cursor() as cur:
        out = {}
        for t in tables:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(t)}")
            out[t] = cur.fetchone()[0]
        return out


def _db_bytes(connection, tables) -> int:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname = ANY(%s)", [tables])
            return int(cur.fetchone()[0])
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.execute("PRAGMA page_count")
        pages = cur.fetchone()[0]
        cur.execute("PRAGMA freelist_count")
        free = cur.fetchone()[0]
        cur.execute("PRAGMA page_size")
        return (pages - free) * cur.fetchone()[0]


def _new_rows_as_text(connection, before: dict[str, int]) -> tuple[int, dict[str, int]]:
    """(bytes of the new rows as tab-separated text, new rows per table)."""
    total, rows = 0, {}
    with connection.cursor() as cur:
        for t, lo in before.items():
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(t)} WHERE id > %s", [lo])
            n = 0
            for row in cur.fetchall():
                n += 1
                total += len("\t".join("\\N" if v is None else str(v) for v in row).encode()) + 1
            if n:
                rows[t] = n
    return total, rows


def _year(cycle, officer) -> int:
    """Take every assessment of the launched cycle through the year; return how many."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from flows.models import Assessment, Organisation, Outcome, Role, RoleAssignment
    from flows.policy import access
    from flows.services import assessments as svc
    from flows.services import cycles as cycle_svc
    from flows.services import results as results_svc

    done = 0
    for i, a in enumerate(Assessment.objects.filter(cycle=cycle).select_related("organisation", "template")):
        indicators = list(a.template.indicators.filter(veto=False))
        fraction = Decimal("0.95") if i % 3 else Decimal("0.7")
        scores = {
            ind.pk: (str((ind.max_points * fraction).quantize(Decimal("0.1"))), "已落实，见台账") for ind in indicators
        }
        deputy = access.person_in_direct_charge(a.organisation)
        for ind in indicators:
            if ind.evidence_required:
                upload = SimpleUploadedFile(f"{ind.code}.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
                svc.evidence_add(assessment=a, by=deputy, upload=upload, content_type="application/pdf", indicator=ind)
        svc.self_assessment_save(assessment=a, by=deputy, scores=scores, report="述职报告：本年度抓党建工作情况……")
        svc.self_assessment_submit(assessment=a, by=deputy)
        secretary = RoleAssignment.objects.current().get(organisation=a.organisation, role=Role.SECRETARY).user
        svc.self_assessment_decide(assessment=a, by=secretary, approve=True)
        svc.mass_evaluation_close(assessment=a, by=officer, mass_score="88")
        reviewer = access.reviewers_of(Organisation.objects.get(pk=a.organisation_id))[0]
        svc.review_save(assessment=a, by=reviewer, scores=scores, veto_hits=[], comment="考评意见：工作扎实。")
        if i % 3:
            svc.review_submit(assessment=a, by=reviewer, outcome=Outcome.NONE)
        else:
            item = {
                "problem": "三会一课记录不全",
                "requirement": "补齐记录",
                "owner": deputy,
                "due": cycle.rectification_due,
            }
            svc.review_submit(assessment=a, by=reviewer, outcome=Outcome.RECTIFICATION, rectification_items=[item])
        done += 1
    with transaction.atomic():
        settlement = results_svc.settlement_start(cycle=cycle, by=officer)
    results_svc.ratings_settle(settlement=settlement, by=officer, lowered={}, override_reason="")
    cycle_svc.cycle_close(by=officer, cycle=cycle, force=True, reason="基准：整改仍在进行")
    return done


def run(*, quick: bool, emit):
    import os

    from django.conf import settings
    from django.db import connection

    from bench.scene import synthetic_cycle
    from flows.services import cycles as cycle_svc

    n = 40 if quick else 2_000
    # a first, small year in a county of its own: every table and index the year writes to gets its first pages,
    # so that what is measured is what each further organisation-year adds, not a new table's fixed pages
    warm = synthetic_cycle(prefix="SW", n=11, label="预热", people=True, scope_code="SW-000001", superuser=False)
    cycle_svc.cycle_open(by=warm.officer, cycle=warm.cycle)
    cycle_svc.cycle_launch(cycle=warm.cycle)
    _year(warm.cycle, warm.officer)
    scene = synthetic_cycle(prefix="S", n=n + 1, label="容量", people=True, scope_code="S-000001", superuser=False)
    tables = _tables(connection)
    before, bytes_before = _max_ids(connection, tables), _db_bytes(connection, tables)
    media_before = sum(f.stat().st_size for f in _media(settings.MEDIA_ROOT))
    cpu, started = time.process_time(), time.perf_counter()
    cycle_svc.cycle_open(by=scene.officer, cycle=scene.cycle)
    cycle_svc.cycle_launch(cycle=scene.cycle)
    orgs = _year(scene.cycle, scene.officer)
    cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
    grown = _db_bytes(connection, tables) - bytes_before
    text, rows = _new_rows_as_text(connection, before)
    media = sum(f.stat().st_size for f in _media(settings.MEDIA_ROOT)) - media_before
    per_table = ", ".join(f"{t} {k / orgs:.1f}" for t, k in sorted(rows.items(), key=lambda kv: -kv[1]))
    print(
        f"# year_storage: {orgs} organisation-years in {elapsed:.1f} s; CPU of the year's steps in-process "
        f"{cpu * 1000 / orgs:.1f} ms per organisation; rows per organisation-year {sum(rows.values()) / orgs:.1f} "
        f"({per_table}); evidence files {media / orgs:.0f} bytes per organisation-year; "
        f"load average {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
        flush=True,
    )
    return [emit(f"year_storage_bytes_per_org_year_{connection.vendor}", grown / orgs, "bytes", text / orgs, TARGET)]


def _media(root):
    import pathlib

    path = pathlib.Path(root)
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []
