import os

from django.conf import settings
from django.core.management.base import BaseCommand

from flows.models import User
from flows.selectors.inbox import open_task_count
from flows.services.demo import DEMO_STAFFING_LOGINS, DEMO_WALKTHROUGH, demo_logins


class Command(BaseCommand):
    help = "Print the demo logins, one per role, with the shared demo password."

    def handle(self, *args, **options):
        self.stdout.write("")
        self.stdout.write(
            f"Zerenzhi 责任制 — open http://127.0.0.1:{os.environ.get('PORT', '8000')} and log in as one of:"
        )
        for user, held in demo_logins():
            waiting = open_task_count(user)
            todo = f"  [待办 {waiting}]" if waiting else ""
            self.stdout.write(f"  {user.username:<12} {user.real_name:<6} {'; '.join(held)}{todo}")
        self.stdout.write("Organisations staffed the way real ones are:")
        for username, what in DEMO_STAFFING_LOGINS:
            user = User.objects.filter(username=username).first()
            if user is not None:
                waiting = open_task_count(user)
                todo = f"  [待办 {waiting}]" if waiting else ""
                self.stdout.write(f"  {username:<12} {user.real_name:<6} {what}{todo}")
        self.stdout.write(f"  password for every demo login: {settings.DEMO_PASSWORD}")
        self.stdout.write("")
        self.stdout.write("One village's year, step by step (each step lands in the next person's 我的待办):")
        for n, (username, step) in enumerate(DEMO_WALKTHROUGH, 1):
            self.stdout.write(f"  {n}. {username:<12} {step}")
        self.stdout.write("")
