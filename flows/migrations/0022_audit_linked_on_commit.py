"""Audit rows are written unlinked and linked after their transaction commits (flows/audit/chain.py): seq becomes
nullable and prev_hash/hash empty until the linking step fills them, an index finds the rows waiting to be linked,
and the database's guard (flows/audit/guard.py) changes with it — an insert must be unlinked, an update may only
link an unlinked row after the recorded head. Rows already in the chain keep their seq and hashes as they are.

Going back links whatever is waiting (in id order, as the linking step would) and puts the earlier guard back."""

from django.db import migrations, models

from flows.audit import chain as audit_chain
from flows.audit import guard as audit_guard

CHUNK = 2000


def guard(apps, schema_editor):
    audit_guard.install(schema_editor.connection)


def unguard(apps, schema_editor):
    audit_guard.lift_legacy(schema_editor.connection)
    audit_guard.lift(schema_editor.connection)


def link_waiting_and_unguard(apps, schema_editor):
    """Backwards: nothing may stay unlinked once seq is required again."""
    audit_guard.lift(schema_editor.connection)
    Entry = apps.get_model("flows", "AuditEntry")
    Head = apps.get_model("flows", "AuditHead")
    db = schema_editor.connection.alias
    head = Head.objects.using(db).filter(pk=1).values_list("seq", "hash").first() or (0, audit_chain.GENESIS)
    Head.objects.using(db).get_or_create(pk=1, defaults={"seq": 0, "hash": audit_chain.GENESIS})
    while True:
        rows = list(
            Entry.objects.using(db)
            .filter(seq__isnull=True)
            .order_by("id")
            .values_list("id", *audit_chain.FIELDS)[:CHUNK]
        )
        if not rows:
            break
        links = audit_chain.links(*head, rows)
        entries = [Entry(id=i, seq=s, prev_hash=p, hash=h) for i, s, p, h in links]
        Entry.objects.using(db).bulk_update(entries, ["seq", "prev_hash", "hash"])
        head = links[-1][1], links[-1][3]
        Head.objects.using(db).filter(pk=1).update(seq=head[0], hash=head[1])


# The guard before this migration, to put back when going back.
LEGACY_SQLITE = [
    f"""CREATE TRIGGER flows_audit_no_update BEFORE UPDATE ON {audit_guard.ENTRY}
        BEGIN SELECT RAISE(ABORT, '{audit_guard.REFUSE_UPDATE}'); END""",
    f"""CREATE TRIGGER flows_audit_no_delete BEFORE DELETE ON {audit_guard.ENTRY}
        BEGIN SELECT RAISE(ABORT, '{audit_guard.REFUSE_DELETE}'); END""",
    f"""CREATE TRIGGER flows_audit_continue BEFORE INSERT ON {audit_guard.ENTRY}
        WHEN NEW.seq IS NOT (SELECT seq + 1 FROM {audit_guard.HEAD} WHERE id = 1)
          OR NEW.prev_hash IS NOT (SELECT hash FROM {audit_guard.HEAD} WHERE id = 1)
        BEGIN SELECT RAISE(ABORT, '{audit_guard.REFUSE_LINK}'); END""",  # noqa: S608 - constants
    f"""CREATE TRIGGER flows_audit_advance AFTER INSERT ON {audit_guard.ENTRY}
        BEGIN UPDATE {audit_guard.HEAD} SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END""",  # noqa: S608
]
LEGACY_PG = [
    f"""CREATE OR REPLACE FUNCTION flows_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only: % of {audit_guard.ENTRY} is refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    f"""CREATE OR REPLACE FUNCTION flows_audit_advance() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head_seq bigint; head_hash varchar; lo bigint; hi bigint; n bigint; first_prev varchar; last_hash varchar;
    BEGIN
        SELECT seq, hash INTO head_seq, head_hash FROM {audit_guard.HEAD} WHERE id = 1 FOR UPDATE;
        SELECT min(seq), max(seq), count(*) INTO lo, hi, n FROM new_rows;
        IF n = 0 THEN RETURN NULL; END IF;
        SELECT prev_hash INTO first_prev FROM new_rows WHERE seq = lo;
        SELECT hash INTO last_hash FROM new_rows WHERE seq = hi;
        IF head_seq IS NULL OR lo <> head_seq + 1 OR hi - lo + 1 <> n OR first_prev <> head_hash THEN
            RAISE EXCEPTION '{audit_guard.REFUSE_LINK}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        UPDATE {audit_guard.HEAD} SET seq = hi, hash = last_hash WHERE id = 1;
        RETURN NULL;
    END $$""",  # noqa: S608 - constants
    f"""CREATE TRIGGER flows_audit_no_change BEFORE UPDATE OR DELETE ON {audit_guard.ENTRY}
        FOR EACH ROW EXECUTE FUNCTION flows_audit_refuse()""",
    f"""CREATE TRIGGER flows_audit_no_truncate BEFORE TRUNCATE ON {audit_guard.ENTRY}
        FOR EACH STATEMENT EXECUTE FUNCTION flows_audit_refuse()""",
    f"""CREATE TRIGGER flows_audit_advance AFTER INSERT ON {audit_guard.ENTRY}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION flows_audit_advance()""",
]


def legacy_guard(apps, schema_editor):
    connection = schema_editor.connection
    audit_guard.lift(connection)
    audit_guard.lift_legacy(connection)
    with connection.cursor() as cursor:
        for sql in LEGACY_PG if connection.vendor == "postgresql" else LEGACY_SQLITE:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS flows_audit_insert_unlinked(), flows_audit_link()")


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0021_excel_job_lease"),
    ]

    operations = [
        migrations.RunPython(unguard, legacy_guard, elidable=False),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(
                blank=True, editable=False, null=True, unique=True, verbose_name="sequence number"
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64, verbose_name="previous hash"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64, verbose_name="hash"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(condition=models.Q(("seq__isnull", True)), fields=["id"], name="flows_audit_unlinked"),
        ),
        migrations.RunPython(guard, link_waiting_and_unguard, elidable=False),
    ]
