"""One command backs up the database and the evidence files while the site runs, one restores them into a fresh
database: PostgreSQL (pg_dump, pg_restore) or SQLite (its online backup API), whichever this suite runs on. The
backup is taken while evidence is being added, and the restored copy must be whole: `verify_audit` finds the chain
intact up to the head recorded at the backup, and every evidence row's file is there with the same bytes."""

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from flows.models import Assessment, AuditEntry, Evidence, Role
from flows.services import assessments as svc
from tests import cycle_helpers as h
from tests.e2e.conftest import test_database_url as database_url

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env |= {"DJANGO_SETTINGS_MODULE": "project.settings.test", "DATABASE_URL": database_url(), **env_extra}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def fresh_database(tmp_path) -> str:
    """A database that does not exist yet: a new file, or a new name on the same PostgreSQL server."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}_restored_{uuid.uuid4().hex[:8]}"


def query(url: str, sql: str):
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(url) as db:
        return db.execute(sql).fetchall()


def drop(url: str):
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def media(settings, tmp_path):
    """Evidence files of this test only (the suite's MEDIA_ROOT holds every other test's): the backup runs with it."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def drafting(demo, media):
    """A self-assessment being drafted, with its evidence (files in MEDIA_ROOT and audit rows)."""
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(a.organisation.code, Role.DEPUTY)
    for ind in a.template.indicators.filter(evidence_required=True, veto=False)[:3]:
        svc.evidence_add(
            assessment=a, by=deputy, upload=h.pdf(f"{ind.code}.pdf"), content_type="application/pdf", indicator=ind
        )
    return Assessment.objects.get(pk=a.pk), deputy


def test_a_backup_taken_while_evidence_is_added_restores_whole_into_a_fresh_database(
    drafting, media, tmp_path, settings
):
    a, deputy = drafting
    stop, added = threading.Event(), []

    def keep_adding():  # the site at work while the backup runs: a file, its row and an audit row each time
        try:
            while not stop.is_set():
                with transaction.atomic():
                    ev = svc.evidence_add(
                        assessment=a, by=deputy, upload=h.pdf("补充材料.pdf"), content_type="application/pdf"
                    )
                added.append(ev.pk)
                time.sleep(0.05)
        finally:
            connection.close()

    writer = threading.Thread(target=keep_adding)
    writer.start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        backup = manage(
            "backup", str(tmp_path / "backup"), DJANGO_SETTINGS_MODULE="project.settings.dev", MEDIA_ROOT=media
        )
        backup_seconds = time.monotonic() - started
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join(30)
    assert backup.returncode == 0, backup.stderr
    assert len(added) > 3  # evidence was being added before, during and after the copy
    folder = tmp_path / "backup"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["engine"] == connection.vendor
    assert set(manifest["sha256"]) == {manifest["database"], "files.tar"}
    assert manifest["audit_head"]["seq"] > 0

    target = fresh_database(tmp_path)
    restored_media = tmp_path / "restored-media"
    try:
        started = time.monotonic()
        restore = manage(
            "restore",
            str(folder),
            DATABASE_URL=target,
            DJANGO_SETTINGS_MODULE="project.settings.dev",
            MEDIA_ROOT=str(restored_media),
            SECRET_KEY="restore-test",
        )
        restore_seconds = time.monotonic() - started
        assert restore.returncode == 0, restore.stdout + restore.stderr
        head = manifest["audit_head"]  # restore checked the restored chain against it (verify_audit --expect)

        # the verify_audit command on the restored database, against the head recorded at the backup
        verified = manage("verify_audit", "--expect", f"{head['seq']}:{head['hash']}", DATABASE_URL=target)
        assert verified.returncode == 0, verified.stdout + verified.stderr

        # every evidence row of the copy has its file, with the bytes of the original (this test's rows: the demo's
        # files are in the suite's MEDIA_ROOT, not in this test's)
        rows = query(target, f"SELECT id, file FROM flows_evidence WHERE assessment_id = {a.pk}")
        assert len(rows) >= 3
        for _pk, name in rows:
            restored = restored_media / name
            assert restored.is_file(), name
            assert restored.read_bytes() == (Path(media) / name).read_bytes()
        # the copy is one moment of the live database: nothing newer than its rows, nothing missing before them
        copied = {pk for (pk,) in query(target, "SELECT id FROM flows_evidence")}
        assert copied <= set(Evidence.objects.values_list("pk", flat=True))
        newest = max(copied)
        assert set(Evidence.objects.filter(pk__lte=newest).values_list("pk", flat=True)) == copied
        audit_rows = query(target, "SELECT count(*) FROM flows_auditentry")[0][0]
        assert 0 < audit_rows <= AuditEntry.objects.count()

    finally:
        drop(target)
    print(
        f"\nbackup {backup_seconds:.1f} s, restore {restore_seconds:.1f} s, {len(copied)} evidence rows "
        f"({len(rows)} with their files checked), "
        f"{audit_rows} audit rows ({connection.vendor})"
    )

    # refused before anything is touched: a database that is not empty (this test's own), a damaged backup
    settings.MEDIA_ROOT = str(tmp_path / "empty-media")
    evidence = Evidence.objects.count()
    with pytest.raises(CommandError, match=re.escape(str(connection.settings_dict["NAME"]))):  # names the database
        call_command("restore", str(folder))
    files = folder / "files.tar"
    damaged = bytearray(files.read_bytes())
    damaged[700] ^= 1  # one bit of the first file's bytes
    files.write_bytes(bytes(damaged))
    with pytest.raises(CommandError, match="files.tar"):
        call_command("restore", str(folder), replace=True)
    assert Evidence.objects.count() == evidence and not (tmp_path / "empty-media").exists()
    with pytest.raises(CommandError, match=re.escape(str(folder))):  # never into an existing folder
        call_command("backup", str(folder))
