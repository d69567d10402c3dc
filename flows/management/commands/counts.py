from django.core.management.base import BaseCommand, CommandError

from flows.models import ReviewCycle
from flows.services import counts


class Command(BaseCommand):
    help = (
        "Recount the dashboard's and year over year's kept counts from the assessments and classification records. "
        "With --check: change nothing, name every count that differs from a recount and exit 1 if any does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only compare with a recount; exit 1 on drift")

    def handle(self, *args, check=False, **options):
        drifted = 0
        for cycle in ReviewCycle.objects.order_by("pk"):
            if check:
                for key, (stored, counted) in sorted(counts.cycle_counts_drift(cycle).items()):
                    drifted += 1
                    self.stdout.write(f"cycle {cycle.pk} {key}: stored {stored}, counted {counted}")
            else:
                n = counts.cycle_counts_rebuild(cycle)
                self.stdout.write(f"cycle {cycle.pk} ({cycle.name}): {n} rows")
        if check:
            for key, (stored, counted) in sorted(counts.classifications_drift().items()):
                drifted += 1
                self.stdout.write(f"{key}: stored {stored}, counted {counted}")
            if drifted:
                raise CommandError(f"{drifted} counts differ from a recount: run `manage.py counts` to rebuild them")
            self.stdout.write("counts match a recount")
        else:
            self.stdout.write(f"year over year: {counts.classifications_rebuild()} rows")
