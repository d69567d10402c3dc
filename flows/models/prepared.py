"""Statements PostgreSQL keeps prepared on the connection, for the few big ones a page runs every time.

Django hands PostgreSQL each statement as text with its values written in (psycopg's client-side binding), so the
server parses and plans it on every run. For my tasks' one statement (a dozen subqueries: flows/selectors/inbox.py)
planning costs twice what running it does: at 200,000 tasks 2.7–3.4 ms of planning against 1.4–1.8 ms of running,
6.4–6.7 ms a run from Django's cursor. `prepared_cursor()` runs its statements with server-side binding, prepared
on the connection the first time psycopg sees them (it keeps up to 100 per connection, the most recently used);
after five runs PostgreSQL settles on one generic plan and plans no more: 1.9 ms a run. Every other statement
still goes through Django's own cursor. A prepared statement outlives a rolled-back transaction and goes with its
connection; servers are restarted after a migration (as every deploy does), since a statement prepared before a
change to its tables' columns is refused afterwards.

On by default; DATABASE_PREPARED=0 turns it off, for a connection pooler in transaction mode that cannot keep a
session's prepared statements (PgBouncer before 1.21). SQLite keeps its own cache of compiled statements per
connection and needs none of this: there `prepared_cursor()` is Django's cursor.
"""

from contextlib import contextmanager

from django.db import connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _LoggedCursor(CursorDebugWrapper):
    """Django's logging cursor (tests, DEBUG), logging a prepared statement's text: psycopg keeps none of a
    prepared run for Django to read back, so the log gets the statement with its values written in, as Django's
    own cursor logs it."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql):
            return CursorWrapper.execute(self, sql, params)


def prepares(using: str = "default") -> bool:
    """Whether `prepared_cursor` prepares on this database (PostgreSQL with prepared statements left on)."""
    connection = connections[using]
    return connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get("prepare_threshold") == 0


@contextmanager
def prepared_cursor(using: str = "default"):
    """A cursor like `connection.cursor()` (its statements logged and counted, its errors Django's), whose
    statements PostgreSQL keeps prepared on the connection; Django's own cursor elsewhere."""
    connection = connections[using]
    if not prepares(using):
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    cursor = _LoggedCursor(raw, connection) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        yield cursor
