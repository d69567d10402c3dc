from django.core.management.base import BaseCommand

from flows.services.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo organisation tree, offices, people and roles (idempotent: a second run adds nothing)."

    def handle(self, *args, **options):
        report = demo_load()
        parts = ", ".join(f"{k} {v}" for k, v in report.created.items())
        self.stdout.write(f"demo data loaded; created: {parts}")
