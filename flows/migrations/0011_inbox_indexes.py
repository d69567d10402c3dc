"""My tasks reads the user's open tasks oldest first (flows.selectors.inbox). viewflow's task table has one-column indexes
only (owner, status, created): at a million tasks the database either walks all of a user's tasks, done ones
included, or walks the created index past everyone else's. This adds a partial index on viewflow's table, only
the open tasks, in the order the page reads them:

    task_open_by_owner ON viewflow_task (owner_id, created, id) WHERE status IN ('ASSIGNED', 'STARTED')

It is SQL rather than a model index because the table is viewflow's (its Meta cannot be changed from here) and
Django's AddIndex only works on models of this app. On PostgreSQL it is built CONCURRENTLY, so that adding it
to a live database does not lock the task table for writes (hence `atomic = False`); SQLite and PostgreSQL both
support IF NOT EXISTS and partial indexes. Other databases get no index (the page still works, more slowly)."""

from django.db import migrations

NAME = "task_open_by_owner"
COLUMNS = "(owner_id, created, id) WHERE status IN ('ASSIGNED', 'STARTED')"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON viewflow_task {COLUMNS}")
    elif vendor == "sqlite":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON viewflow_task {COLUMNS}")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("flows", "0010_classification_history"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
