"""Benchmarks: `python -m bench` (full sizes) or `python -m bench --quick` (small sizes, under a minute).

Each figure is one JSON line: {"bench", "value", "unit", "floor", "ratio", "target", "ok"}, the floor measured in
the same run on the same database. The database is a fresh SQLite file (WAL, immediate transactions) unless
DATABASE_URL names another one, e.g. a scratch PostgreSQL database.
"""

import argparse
import json
import os
import sys
import tempfile
import time


def setup_django(database_url: str | None):
    workdir = tempfile.mkdtemp(prefix="zerenzhi-bench-")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.dev")
    os.environ.setdefault("MEDIA_ROOT", f"{workdir}/media")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def emit(name, value, unit, floor, target, *, ok=None, ratio=None):
    """One figure. By default the target is a ceiling on value/floor; a throughput passes its own ratio and ok."""
    if ratio is None:
        ratio = value / floor if floor else None
    if ok is None:
        ok = ratio is not None and ratio <= target
    line = {
        "bench": name,
        "value": round(value, 4),
        "unit": unit,
        "floor": round(floor, 4),
        "ratio": round(ratio, 2) if ratio is not None else None,
        "target": target,
        "ok": bool(ok),
    }
    print(json.dumps(line), flush=True)
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--only", help="run only the benchmarks whose name contains this")
    args = parser.parse_args(argv)
    setup_django(os.environ.get("DATABASE_URL"))
    from bench import (
        annual_report,
        audit_during_import,
        ballots,
        broadcast,
        dashboard,
        deadline_day,
        excel,
        inbox,
        launch,
        year_storage,
        yearly,
    )

    results = []
    for name, fn in [
        ("launch", launch.run),
        ("ballots", ballots.run),
        ("dashboard", dashboard.run),
        ("inbox", inbox.run),
        ("broadcast", broadcast.run),
        ("excel", excel.run),
        ("yearly", yearly.run),
        ("annual_report", annual_report.run),
        ("audit_during_import", audit_during_import.run),
        ("deadline_day", deadline_day.run),  # locust runs in a child process, never imported here
        ("year_storage", year_storage.run),
    ]:
        if args.only and args.only not in name:
            continue
        started = time.perf_counter()
        results += fn(quick=args.quick, emit=emit)
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
