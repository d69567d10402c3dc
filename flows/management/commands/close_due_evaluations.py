from django.core.management.base import BaseCommand

from flows.services.ballots import campaigns_close_due


class Command(BaseCommand):
    help = "Close every evaluation whose voting deadline has passed (safe to run at any time, and twice)."

    def handle(self, *args, **options):
        self.stdout.write(f"closed {campaigns_close_due()} evaluations")
