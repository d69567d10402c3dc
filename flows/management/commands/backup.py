import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

from flows.management import backups
from flows.models.audit import AuditHead


class Command(BaseCommand):
    help = (
        "Back up the database and the evidence files (MEDIA_ROOT) into a new folder, while the site runs: "
        "PostgreSQL with pg_dump, SQLite with its online backup API. Restore with `manage.py restore FOLDER`."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="the backup's folder; must not exist yet (its parent is created)")

    def handle(self, *args, folder, **options):
        target = Path(folder).resolve()
        if target.exists():
            raise CommandError(_("%(folder)s already exists: a backup goes into a new folder.") % {"folder": target})
        vendor = connection.vendor
        if vendor not in backups.DATABASE:
            raise CommandError(_("Backing up a %(vendor)s database is not supported.") % {"vendor": vendor})
        # The audit chain's recorded head before the copy: that row is in the copy, and restore checks the restored
        # chain up to it (verify_audit --expect).
        try:
            head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
            migrations = sorted(MigrationRecorder(connection).applied_migrations())
        except DatabaseError as exc:
            raise CommandError(
                _("The database cannot be read (%(error)s): is DATABASE_URL right?") % {"error": exc}
            ) from exc
        connection.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")  # renamed into place when complete
        partial.mkdir()

        try:
            database = partial / backups.DATABASE[vendor]
            if vendor == "postgresql":
                self._pg_dump(database)
            else:
                self._sqlite_copy(database)
            files = partial / backups.FILES
            count = self._tar_files(files)

            manifest = {
                "format": backups.FORMAT,
                "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "engine": vendor,
                "database": database.name,
                "files": files.name,
                "file_count": count,
                "sha256": {database.name: backups.sha256(database), files.name: backups.sha256(files)},
                "migrations": [f"{app}.{name}" for app, name in migrations],
                "audit_head": {"seq": head[0], "hash": head[1]} if head else None,
            }
            (partial / backups.MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            partial.rename(target)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)  # never a half-written backup left behind
            raise
        size = sum(p.stat().st_size for p in target.iterdir())
        self.stdout.write(
            _("Backed up the %(engine)s database and %(count)s files to %(folder)s (%(mb).1f MB).")
            % {"engine": vendor, "count": count, "folder": target, "mb": size / 1e6}
        )
        if head:
            self.stdout.write(
                _("Audit chain head at the backup: seq %(seq)s, hash %(hash)s") % {"seq": head[0], "hash": head[1]}
            )

    def _pg_dump(self, path: Path):
        """One snapshot (pg_dump reads in a single repeatable-read transaction); the custom format for pg_restore."""
        args, env = backups.postgres_args(connection.settings_dict)
        command = [backups.postgres_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args]
        # the program found on PATH, arguments from the settings, no shell
        result = subprocess.run([*command, "--file", str(path)], env=env, capture_output=True, text=True)  # noqa: S603
        if result.returncode != 0:
            raise CommandError(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()})

    def _sqlite_copy(self, path: Path):
        """SQLite's online backup API: a consistent copy while others read and write (one step, so no writer
        restarts it half-way)."""
        source = sqlite3.connect(connection.settings_dict["NAME"])
        copy = sqlite3.connect(path)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()

    def _tar_files(self, path: Path) -> int:
        media = Path(settings.MEDIA_ROOT)
        count = 0
        with tarfile.open(path, "w") as tar:
            if media.is_dir():
                for item in sorted(media.rglob("*")):
                    if item.is_file() and not item.is_symlink():
                        tar.add(item, arcname=item.relative_to(media).as_posix(), recursive=False)
                        count += 1
        return count
