"""The demo city as it stood once loaded, kept in memory for the run and put back in one transaction after a
transactional test emptied the database (the test runner flushes every table after each one).

Loading the demo through its services takes seconds; about 120 transactional tests (the browser, server and fault
tests) each need it again, so putting the same rows back is what keeps the suite's two runs inside CI's hour. The
rows are the ones the services wrote — audit chain, head and counts included — so a test sees exactly what
`demo_load()` gives it."""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction

from flows.audit import ballot_guard
from flows.audit import guard as audit_guard


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


def take() -> list[Table]:
    """Every model table's rows, as the database holds them now."""
    qn = connection.ops.quote_name
    tables = []
    with connection.cursor() as cursor:
        for name in sorted(connection.introspection.django_table_names(only_existing=True, include_views=False)):
            cursor.execute(f"SELECT * FROM {qn(name)}")  # noqa: S608 - a table name from the introspection
            columns = tuple(d[0] for d in cursor.description)
            tables.append(Table(name, columns, tuple(cursor.fetchall())))
    return tables


def restore(tables: list[Table]) -> None:
    """Put the rows back as they were taken, replacing whatever the tables hold (after a flush: the content types
    and permissions Django writes again). One transaction: the guards on the audit log and the sealed counts are
    lifted and put back inside it, as `flush` does; foreign keys are checked at commit."""
    qn = connection.ops.quote_name
    with transaction.atomic():
        present = audit_guard.present(connection)
        sealed = ballot_guard.present(connection)
        audit_guard.lift(connection, present)
        ballot_guard.lift(connection, sealed)
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DELETE FROM {qn(table.name)}")  # noqa: S608
            for table in tables:
                if table.rows:
                    columns = ", ".join(qn(c) for c in table.columns)
                    marks = ", ".join(["%s"] * len(table.columns))
                    cursor.executemany(
                        f"INSERT INTO {qn(table.name)} ({columns}) VALUES ({marks})",  # noqa: S608
                        table.rows,
                    )
            if connection.vendor == "postgresql":  # the next id after the restored ones
                for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
                    cursor.execute(sql)
        audit_guard.install(connection, present)
        ballot_guard.install(connection, sealed)
    ContentType.objects.clear_cache()  # the ids are the snapshot's again
