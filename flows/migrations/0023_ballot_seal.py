"""Receipts that bind the marks (issue 22): each ballot's seal (flows/domain/ballot_seal.py), the database's guard
on a closed count (flows/audit/ballot_guard.py), and room in each page of the ballot tables for a cast to take a
random earlier ballot's place without moving it off its page (PostgreSQL's fillfactor), so that the storage order
says nothing about the order of casting."""

from django.db import migrations, models

from flows.audit import ballot_guard

TABLES = ("flows_ballot", "flows_ballotmark")


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} SET (fillfactor = 30)")
    ballot_guard.install(connection)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    ballot_guard.uninstall(connection)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0022_audit_linked_on_commit"),
    ]

    operations = [
        migrations.AddField(
            model_name="ballot",
            name="seal",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="ballot",
            name="slot",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="ballot",
            index=models.Index(fields=["campaign", "slot"], name="ballot_campaign_slot"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
