"""Django's `flush`, which empties every table (the test runner runs it between transactional tests) — also the
append-only audit log and the sealed counts: the database's guards on them (flows/audit/guard.py,
flows/audit/ballot_guard.py) are lifted inside the flush's transaction and put back before it commits, so no other
connection ever sees the tables unguarded."""

from django.core.management.commands import flush
from django.db import connections, transaction

from flows.audit import ballot_guard
from flows.audit import guard as audit_guard


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        with transaction.atomic(using=options["database"]):
            present = audit_guard.present(connection)
            sealed = ballot_guard.present(connection)
            audit_guard.lift(connection, present)
            ballot_guard.lift(connection, sealed)
            super().handle(**options)
            audit_guard.install(connection, present)
            ballot_guard.install(connection, sealed)
