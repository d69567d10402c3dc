import os

from django.conf import settings
from django.core.management.base import BaseCommand

from flows.services.demo import demo_logins


class Command(BaseCommand):
    help = "Print the demo logins, one per role, with the shared demo password."

    def handle(self, *args, **options):
        self.stdout.write("")
        self.stdout.write(
            f"Zerenzhi 责任制 — open http://127.0.0.1:{os.environ.get('PORT', '8000')} and log in as one of:"
        )
        for user, held in demo_logins():
            self.stdout.write(f"  {user.username:<12} {user.real_name:<6} {'; '.join(held)}")
        self.stdout.write(f"  password for every demo login: {settings.DEMO_PASSWORD}")
        self.stdout.write("")
