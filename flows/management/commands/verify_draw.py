from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from flows.models import SpotCheckPlan
from flows.services.spotchecks import verify_plan


class Command(BaseCommand):
    help = (
        "Re-run a spot check's draw from its recorded inputs (frozen population and pool, revealed seed) and say "
        "whether the sample and the inspector assignments match exactly. Exit status 0 only when they do. "
        "Without the database, the certificate's data file is checked by `python -m zerenzhi_verify draw FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument("plan", type=int, help="the plan's number (as shown on its page and certificate)")

    def handle(self, *args, plan, **options):
        p = SpotCheckPlan.objects.select_related("office").filter(pk=plan).first()
        if p is None:
            raise CommandError(_("There is no spot-check plan %(n)s.") % {"n": plan})
        self.stdout.write(f"{p.name} ({p.office}) · {p.algorithm or '-'}")
        result = verify_plan(p)
        for line in result.lines:
            self.stdout.write(line)
        if not result.ok:
            raise CommandError(_("The draw does NOT match its recorded inputs."), returncode=1)
        self.stdout.write(self.style.SUCCESS(_("The draw matches its recorded inputs exactly.")))
