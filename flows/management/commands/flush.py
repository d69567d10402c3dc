"""Django's `flush`, which empties every table (the test runner runs it between transactional tests) — also the
append-only audit log: the database's guard on it (flows/audit/guard.py) is lifted inside the flush's
transaction and put back before it commits, so no other connection ever sees the table unguarded."""

from django.core.management.commands import flush
from django.db import connections, transaction

from flows.audit import guard as audit_guard


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        with transaction.atomic(using=options["database"]):
            present = audit_guard.present(connection)
            audit_guard.lift(connection, present)
            super().handle(**options)
            audit_guard.install(connection, present)
