from django.core.management.base import BaseCommand

from flows.jobs import run_sweeps


class Command(BaseCommand):
    help = "Run the periodic sweeps once: deadline closes of evaluations, reminders and escalations."

    def handle(self, *args, **options):
        for name, n in run_sweeps().items():
            self.stdout.write(f"{name}: {n}")
