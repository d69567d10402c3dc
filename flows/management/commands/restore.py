import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _
from psycopg import sql

from flows.management import backups


class Command(BaseCommand):
    help = (
        "Restore a folder written by `manage.py backup` into the configured database (DATABASE_URL; a PostgreSQL "
        "database that does not exist yet is created) and MEDIA_ROOT, then verify the audit chain against the head "
        "recorded in the backup. Both must be empty unless --replace is given. Stop the site first."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite a database and MEDIA_ROOT that are not empty (their tables are dropped first)",
        )

    def handle(self, *args, folder, replace=False, **options):
        source = Path(folder).resolve()
        manifest = backups.read_manifest(source)  # every file present and intact before anything is touched
        vendor = connection.vendor
        if manifest["engine"] != vendor:
            raise CommandError(
                _("This backup is of a %(backup)s database; the configured database is %(here)s.")
                % {"backup": manifest["engine"], "here": vendor}
            )
        media = Path(settings.MEDIA_ROOT)
        if not replace and media.is_dir() and any(media.iterdir()):
            raise CommandError(
                _("MEDIA_ROOT (%(media)s) is not empty: restore into an empty one, or give --replace.")
                % {"media": media}
            )

        database = source / manifest["database"]
        if vendor == "postgresql":
            self._pg_restore(database, replace=replace)
        else:
            self._sqlite_restore(database, replace=replace)
        count = self._untar_files(source / manifest["files"], media)
        self.stdout.write(
            _("Restored the database and %(count)s files from %(folder)s (backed up %(created)s).")
            % {"count": count, "folder": source, "created": manifest["created"]}
        )

        head = manifest.get("audit_head")
        if head:
            call_command("verify_audit", expect=f"{head['seq']}:{head['hash']}", stdout=self.stdout)
        else:
            self.stderr.write(self.style.WARNING(_("The backup recorded no audit chain head (an empty chain).")))
            call_command("verify_audit", stdout=self.stdout)
        self.stdout.write(_("Next: `manage.py migrate` if this version has newer migrations, then start the site."))

    def _is_empty(self) -> bool:
        with connection.cursor() as cursor:
            return not connection.introspection.table_names(cursor)

    def _pg_restore(self, path: Path, *, replace: bool):
        db = connection.settings_dict
        self._create_database_if_missing(db)
        if not replace and not self._is_empty():
            raise CommandError(
                _("The database %(name)s is not empty: restore into a new database, or give --replace.")
                % {"name": db["NAME"]}
            )
        connection.close()
        args, env = backups.postgres_args(db)
        command = [backups.postgres_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        command += ["--single-transaction", *(["--clean", "--if-exists"] if replace else []), *args, str(path)]
        result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 - no shell, arguments from the settings
        if result.returncode != 0:
            raise CommandError(_("pg_restore failed: %(error)s") % {"error": result.stderr.strip()})

    def _create_database_if_missing(self, db: dict):
        params = {
            "dbname": "postgres",
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "connect_timeout": 5,
        }
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as maintenance:
            exists = maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
            if not exists:
                maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                self.stdout.write(_("Created the database %(name)s.") % {"name": db["NAME"]})

    def _sqlite_restore(self, path: Path, *, replace: bool):
        """SQLite's backup API, from the copy into the configured file: the file is replaced page by page in one
        transaction (its own WAL mode is set again by the next connection)."""
        name = connection.settings_dict["NAME"]
        if Path(name).exists() and not replace and not self._is_empty():
            raise CommandError(
                _("The database %(name)s is not empty: restore into a new file, or give --replace.") % {"name": name}
            )
        connection.close()
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(name)
        try:
            copy.backup(target)
        finally:
            target.close()
            copy.close()

    def _untar_files(self, path: Path, media: Path) -> int:
        """Into a folder beside MEDIA_ROOT first (tarfile's "data" filter refuses absolute paths, links out of the
        folder and device files), then moved in."""
        media.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=media.parent, prefix=".restore-") as unpacked:
            with tarfile.open(path) as tar:
                members = [m for m in tar.getmembers() if m.isfile()]
                tar.extractall(unpacked, members=members, filter="data")
            shutil.copytree(unpacked, media, dirs_exist_ok=True)
        return len(members)
