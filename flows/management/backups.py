"""What `manage.py backup` writes and `manage.py restore` reads: one folder with the database, the evidence files and
a manifest.

    manifest.json     what is in the folder: the database engine, each file's SHA-256, the migrations applied and the
                      audit chain's head when the backup began (restore checks the chain against it)
    database.dump     PostgreSQL: pg_dump's custom format (one consistent snapshot while the site runs)
    database.sqlite3  SQLite: a copy made with SQLite's online backup API (consistent while the site runs)
    files.tar         MEDIA_ROOT: uploaded evidence, findings' photos, Excel jobs' files

The database is copied before the files: every file a copied row names was written before that row was committed, so
it is in the copy (files added in between are only extra)."""

import hashlib
import json
import os
import shutil
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files.tar"
DATABASE = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(_("%(folder)s is not a backup: %(error)s") % {"folder": folder, "error": exc}) from exc
    if manifest.get("format") != FORMAT:
        raise CommandError(_("%(folder)s is a backup in a format this version cannot read.") % {"folder": folder})
    for name, expected in manifest["sha256"].items():
        if not (folder / name).is_file() or sha256(folder / name) != expected:
            raise CommandError(
                _("%(file)s in %(folder)s is missing or damaged (its SHA-256 differs from the manifest).")
                % {"file": name, "folder": folder}
            )
    return manifest


def postgres_tool(name: str) -> str:
    """pg_dump or pg_restore: PG_BIN if set, else the one on PATH (Debian's picks the newest installed version)."""
    found = shutil.which(name, path=os.environ.get("PG_BIN") or None) or shutil.which(name)
    if not found:
        raise CommandError(_("%(tool)s was not found: install the PostgreSQL client programs.") % {"tool": name})
    return found


def postgres_args(settings_dict: dict, *, dbname: str | None = None) -> tuple[list[str], dict]:
    """Connection arguments for pg_dump/pg_restore and their environment (the password never on the command line)."""
    args = ["--dbname", dbname or settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        args += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", settings_dict["USER"]]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    sslmode = settings_dict.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return args, env
