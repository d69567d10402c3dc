"""The database's own guard on the audit log: triggers that refuse DELETE of audit rows (and TRUNCATE on
PostgreSQL), accept an INSERT only of an unlinked row (no seq, empty prev_hash and hash), and accept an UPDATE only
when it links unlinked rows — fills seq, prev_hash and hash, continuing the chain head (the next seq, the head's
hash as prev_hash), and leaves everything else as it was — moving the head forward. A linked row never changes
again.

Installed by migration 0009_audit_chain, in this form since 0022_audit_linked_on_commit. `flush` (manage.py flush,
and the test runner between transactional tests) empties every table on purpose: it lifts the guard inside its
own transaction and puts it back before committing (flows/management/commands/flush.py). A migration that rebuilds
flows_auditentry on SQLite (SQLite alters a table by copying it) drops these triggers: such a migration must call
`install` again; `verify_audit` warns when they are missing. The SQLite triggers name the columns a link must leave
alone: a column added to flows_auditentry must be added to CONTENT.
"""

from flows.audit.triggers import TriggerSet

ENTRY = "flows_auditentry"
HEAD = "flows_audithead"
CONTENT = ("id", "at", "actor_id", "action", "subject_type", "subject_id", "from_value", "to_value", "comment")

REFUSE_UPDATE = (
    "audit entries are append-only: UPDATE of flows_auditentry is refused (only linking an unlinked row, "
    "leaving its content as it is, is accepted)"
)
REFUSE_DELETE = "audit entries are append-only: DELETE of flows_auditentry is refused"
REFUSE_TRUNCATE = "audit entries are append-only: TRUNCATE of flows_auditentry is refused"
REFUSE_INSERT = (
    "audit rows are inserted unlinked (seq NULL, prev_hash and hash empty) and linked after their transaction "
    "commits (write audit rows through the application)"
)
REFUSE_LINK = (
    "an audit row must continue the chain: seq = flows_audithead.seq + 1 and prev_hash = flows_audithead.hash "
    "(link audit rows through the application)"
)

_UNLINKED_OLD = "OLD.seq IS NULL AND OLD.prev_hash = '' AND OLD.hash = ''"
_LINKED_NEW = "NEW.seq IS NOT NULL AND NEW.prev_hash <> '' AND NEW.hash <> ''"
_SAME_CONTENT = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT)

SQLITE_TRIGGERS = {
    "flows_audit_no_delete": f"""
        CREATE TRIGGER flows_audit_no_delete BEFORE DELETE ON {ENTRY}
        BEGIN SELECT RAISE(ABORT, '{REFUSE_DELETE}'); END""",
    "flows_audit_insert_unlinked": f"""
        CREATE TRIGGER flows_audit_insert_unlinked BEFORE INSERT ON {ENTRY}
        WHEN NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT '' OR NEW.hash IS NOT ''
        BEGIN SELECT RAISE(ABORT, '{REFUSE_INSERT}'); END""",
    # one trigger, so that a change of content is always named as such (SQLite's order among triggers is its own)
    "flows_audit_link": f"""
        CREATE TRIGGER flows_audit_link BEFORE UPDATE ON {ENTRY}
        BEGIN SELECT CASE
            WHEN NOT ({_UNLINKED_OLD} AND {_LINKED_NEW} AND {_SAME_CONTENT})
                THEN RAISE(ABORT, '{REFUSE_UPDATE}')
            WHEN NEW.seq IS NOT (SELECT seq + 1 FROM {HEAD} WHERE id = 1)
              OR NEW.prev_hash IS NOT (SELECT hash FROM {HEAD} WHERE id = 1)
                THEN RAISE(ABORT, '{REFUSE_LINK}')
        END; END""",  # noqa: S608 - constants
    "flows_audit_link_advance": f"""
        CREATE TRIGGER flows_audit_link_advance AFTER UPDATE ON {ENTRY}
        BEGIN UPDATE {HEAD} SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END""",  # noqa: S608 - constants
}


# PostgreSQL: the insert check and the link's check against the head run once per statement over its rows (a COPY,
# a multi-row INSERT, the linker's one UPDATE per chunk), so a bulk write is checked, and the head moved, once, not
# once per row; that a link leaves the row's content as it was is a trigger condition on each row (no join of the
# statement's old and new rows, whose cost grew with the square of the chunk).
PG_FUNCTIONS = [
    f"""
    CREATE OR REPLACE FUNCTION flows_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only: % of {ENTRY} is refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    f"""
    CREATE OR REPLACE FUNCTION flows_audit_insert_unlinked() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM new_rows WHERE seq IS NOT NULL OR prev_hash <> '' OR hash <> '') THEN
            RAISE EXCEPTION '{REFUSE_INSERT}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END $$""",  # noqa: S608 - constants
    f"""
    CREATE OR REPLACE FUNCTION flows_audit_link() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head_seq bigint; head_hash varchar; lo bigint; hi bigint; n bigint; first_prev varchar; last_hash varchar;
    BEGIN
        SELECT min(seq), max(seq), count(*) INTO lo, hi, n FROM new_rows;
        IF n = 0 THEN RETURN NULL; END IF;
        SELECT seq, hash INTO head_seq, head_hash FROM {HEAD} WHERE id = 1 FOR UPDATE;
        SELECT prev_hash INTO first_prev FROM new_rows WHERE seq = lo;
        SELECT hash INTO last_hash FROM new_rows WHERE seq = hi;
        IF head_seq IS NULL OR lo <> head_seq + 1 OR hi - lo + 1 <> n OR first_prev <> head_hash THEN
            RAISE EXCEPTION '{REFUSE_LINK}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        UPDATE {HEAD} SET seq = hi, hash = last_hash WHERE id = 1;
        RETURN NULL;
    END $$""",  # noqa: S608 - constants
]
_PG_SAME_CONTENT = (
    f"({', '.join('OLD.' + c for c in CONTENT)}) IS NOT DISTINCT FROM ({', '.join('NEW.' + c for c in CONTENT)})"
)
PG_TRIGGERS = {
    "flows_audit_no_delete": f"""
        CREATE TRIGGER flows_audit_no_delete BEFORE DELETE ON {ENTRY}
        FOR EACH ROW EXECUTE FUNCTION flows_audit_refuse()""",
    # a condition, not a function, per row: evaluated without calling PL/pgSQL unless the update is refused
    "flows_audit_no_change": f"""
        CREATE TRIGGER flows_audit_no_change BEFORE UPDATE ON {ENTRY}
        FOR EACH ROW WHEN (NOT (
            {_UNLINKED_OLD} AND {_LINKED_NEW} AND {_PG_SAME_CONTENT}
        )) EXECUTE FUNCTION flows_audit_refuse()""",
    "flows_audit_no_truncate": f"""
        CREATE TRIGGER flows_audit_no_truncate BEFORE TRUNCATE ON {ENTRY}
        FOR EACH STATEMENT EXECUTE FUNCTION flows_audit_refuse()""",
    "flows_audit_insert_unlinked": f"""
        CREATE TRIGGER flows_audit_insert_unlinked AFTER INSERT ON {ENTRY}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION flows_audit_insert_unlinked()""",
    "flows_audit_link": f"""
        CREATE TRIGGER flows_audit_link AFTER UPDATE ON {ENTRY}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION flows_audit_link()""",
}

# The guard before 0022 (every writer linked its rows in its own transaction under the head's lock): dropped by
# that migration and by `uninstall`.
LEGACY_TRIGGERS = {
    "sqlite": ("flows_audit_no_update", "flows_audit_no_delete", "flows_audit_continue", "flows_audit_advance"),
    "postgresql": ("flows_audit_no_change", "flows_audit_no_truncate", "flows_audit_advance"),
}
LEGACY_PG_FUNCTIONS = ("flows_audit_advance()",)
PG_FUNCTION_NAMES = ("flows_audit_refuse()", "flows_audit_insert_unlinked()", "flows_audit_link()")


GUARD = TriggerSet(
    tables=(ENTRY,),
    sqlite=SQLITE_TRIGGERS,
    postgresql={name: (ENTRY, sql) for name, sql in PG_TRIGGERS.items()},
    pg_functions=PG_FUNCTIONS,
    pg_function_names=PG_FUNCTION_NAMES,
)
install, lift, present, missing = GUARD.install, GUARD.lift, GUARD.present, GUARD.missing


def lift_legacy(connection) -> None:
    """Drop the triggers (and PostgreSQL functions) of the guard before 0022."""
    with connection.cursor() as cursor:
        for name in LEGACY_TRIGGERS.get(connection.vendor, ()):
            cursor.execute(GUARD.drop_sql(connection.vendor, name, ENTRY))
    GUARD.drop_functions(connection, LEGACY_PG_FUNCTIONS)


def uninstall(connection) -> None:
    lift(connection)
    lift_legacy(connection)
    GUARD.drop_functions(connection)
