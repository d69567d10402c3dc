"""The audit log becomes hash-chained and append-only (flows/audit/chain.py, flows/audit/guard.py): every row
gets its sequence number, the previous row's hash and its own, back-filled in id order; the chain head is
recorded; the database's triggers then refuse UPDATE and DELETE and check every insert against the head."""

from django.db import migrations, models

from flows.audit import chain as audit_chain
from flows.audit import guard as audit_guard

CHUNK = 2000


def backfill(apps, schema_editor):
    Entry = apps.get_model("flows", "AuditEntry")
    Head = apps.get_model("flows", "AuditHead")
    db = schema_editor.connection.alias
    seq, prev, last_id = 0, audit_chain.GENESIS, 0
    while True:
        rows = list(Entry.objects.using(db).filter(id__gt=last_id).order_by("id")[:CHUNK])
        if not rows:
            break
        for e in rows:
            seq += 1
            e.seq, e.prev_hash = seq, prev
            e.hash = prev = audit_chain.row_hash(
                seq, *(getattr(e, name) for name in audit_chain.FIELDS), prev_hash=prev
            )
        Entry.objects.using(db).bulk_update(rows, ["seq", "prev_hash", "hash"])
        last_id = rows[-1].id
    Head.objects.using(db).create(id=1, seq=seq, hash=prev)


def guard(apps, schema_editor):
    audit_guard.install(schema_editor.connection)


def unguard(apps, schema_editor):
    audit_guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0008_excel_jobs"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="audit_head_single_row")],
            },
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, verbose_name="sequence number"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="previous hash"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="at",
            field=models.DateTimeField(db_index=True, editable=False, verbose_name="time"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True, verbose_name="sequence number"),
        ),
        migrations.RunPython(guard, unguard, elidable=False),
    ]
