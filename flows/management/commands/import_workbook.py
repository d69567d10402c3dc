from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from flows.excel.importers import IMPORTERS
from flows.excel.importing import run_import
from flows.models import User


class Command(BaseCommand):
    help = (
        "Import an Excel workbook (the same importers and checks as the site): prints the row-level report; "
        "with --dry-run nothing is written. Exits non-zero when the file or any row is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")
        parser.add_argument(
            "--user", help="import as this user (default: the first active superuser); the access policy applies"
        )

    def handle(self, *args, kind, file, dry_run, user=None, **options):
        if not Path(file).is_file():
            raise CommandError(_("There is no file %(file)s.") % {"file": file}, returncode=2)
        actor = (
            User.objects.filter(username=user, is_active=True).first()
            if user
            else User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        )
        if actor is None:
            raise CommandError(
                _("There is no active user %(name)s.") % {"name": user}
                if user
                else _("There is no active superuser to act as; name a user with --user.")
            )
        try:
            report = run_import(kind, file, actor, commit=not dry_run)
        except Exception as exc:  # a fault of ours, not of the file: said in one line (--traceback shows the rest)
            raise CommandError(
                _("The workbook could not be processed (%(error)s); nothing was imported. Run again with --traceback.")
                % {"error": f"{exc.__class__.__name__}: {exc}"[:300]},
                returncode=3,
            ) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(_("Refused: nothing was imported."), returncode=1)
        self.stdout.write(_("Dry run: nothing was written.") if dry_run else _("Imported."))
