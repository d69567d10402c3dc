"""The database's own guard on the audit log: triggers that refuse UPDATE and DELETE of audit rows (and TRUNCATE
on PostgreSQL), and that accept an INSERT only when it continues the chain head (the next seq, the head's hash as
prev_hash), moving the head forward.

Installed by migration 0009_audit_chain. `flush` (manage.py flush, and the test runner between transactional
tests) empties every table on purpose: it lifts the guard inside its own transaction and puts it back before
committing (flows/management/commands/flush.py). A migration that rebuilds flows_auditentry on SQLite (SQLite
alters a table by copying it) drops these triggers: such a migration must call `install` again;
`verify_audit` warns when they are missing.
"""

ENTRY = "flows_auditentry"
HEAD = "flows_audithead"

REFUSE_UPDATE = "audit entries are append-only: UPDATE of flows_auditentry is refused"
REFUSE_DELETE = "audit entries are append-only: DELETE of flows_auditentry is refused"
REFUSE_TRUNCATE = "audit entries are append-only: TRUNCATE of flows_auditentry is refused"
REFUSE_INSERT = (
    "an audit row must continue the chain: seq = flows_audithead.seq + 1 and prev_hash = flows_audithead.hash "
    "(write audit rows through the application)"
)

SQLITE_TRIGGERS = {
    "flows_audit_no_update": f"""
        CREATE TRIGGER flows_audit_no_update BEFORE UPDATE ON {ENTRY}
        BEGIN SELECT RAISE(ABORT, '{REFUSE_UPDATE}'); END""",
    "flows_audit_no_delete": f"""
        CREATE TRIGGER flows_audit_no_delete BEFORE DELETE ON {ENTRY}
        BEGIN SELECT RAISE(ABORT, '{REFUSE_DELETE}'); END""",
    "flows_audit_continue": f"""
        CREATE TRIGGER flows_audit_continue BEFORE INSERT ON {ENTRY}
        WHEN NEW.seq IS NOT (SELECT seq + 1 FROM {HEAD} WHERE id = 1)
          OR NEW.prev_hash IS NOT (SELECT hash FROM {HEAD} WHERE id = 1)
        BEGIN SELECT RAISE(ABORT, '{REFUSE_INSERT}'); END""",  # noqa: S608 - constants
    "flows_audit_advance": f"""
        CREATE TRIGGER flows_audit_advance AFTER INSERT ON {ENTRY}
        BEGIN UPDATE {HEAD} SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END""",  # noqa: S608 - constants
}

# PostgreSQL: the insert check runs once per statement over its new rows (a COPY or a multi-row INSERT), so a
# bulk write checks and moves the head once, not once per row.
PG_FUNCTIONS = [
    f"""
    CREATE OR REPLACE FUNCTION flows_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only: % of {ENTRY} is refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    f"""
    CREATE OR REPLACE FUNCTION flows_audit_advance() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head_seq bigint; head_hash varchar; lo bigint; hi bigint; n bigint; first_prev varchar; last_hash varchar;
    BEGIN
        SELECT seq, hash INTO head_seq, head_hash FROM {HEAD} WHERE id = 1 FOR UPDATE;
        SELECT min(seq), max(seq), count(*) INTO lo, hi, n FROM new_rows;
        IF n = 0 THEN RETURN NULL; END IF;
        SELECT prev_hash INTO first_prev FROM new_rows WHERE seq = lo;
        SELECT hash INTO last_hash FROM new_rows WHERE seq = hi;
        IF head_seq IS NULL OR lo <> head_seq + 1 OR hi - lo + 1 <> n OR first_prev <> head_hash THEN
            RAISE EXCEPTION '{REFUSE_INSERT}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        UPDATE {HEAD} SET seq = hi, hash = last_hash WHERE id = 1;
        RETURN NULL;
    END $$""",  # noqa: S608 - constants
]
PG_TRIGGERS = {
    "flows_audit_no_change": f"""
        CREATE TRIGGER flows_audit_no_change BEFORE UPDATE OR DELETE ON {ENTRY}
        FOR EACH ROW EXECUTE FUNCTION flows_audit_refuse()""",
    "flows_audit_no_truncate": f"""
        CREATE TRIGGER flows_audit_no_truncate BEFORE TRUNCATE ON {ENTRY}
        FOR EACH STATEMENT EXECUTE FUNCTION flows_audit_refuse()""",
    "flows_audit_advance": f"""
        CREATE TRIGGER flows_audit_advance AFTER INSERT ON {ENTRY}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION flows_audit_advance()""",
}


def _triggers(vendor: str) -> dict:
    return PG_TRIGGERS if vendor == "postgresql" else SQLITE_TRIGGERS


def install(connection, names=None) -> None:
    """Create the guard's triggers (all of them, or those named)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in PG_FUNCTIONS:
                cursor.execute(sql)
        for name, sql in _triggers(connection.vendor).items():
            if names is None or name in names:
                cursor.execute(_drop(connection.vendor, name))
                cursor.execute(sql)


def lift(connection, names=None) -> None:
    """Drop the guard's triggers (all of them, or those named)."""
    with connection.cursor() as cursor:
        for name in _triggers(connection.vendor):
            if names is None or name in names:
                cursor.execute(_drop(connection.vendor, name))


def uninstall(connection) -> None:
    lift(connection)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP FUNCTION IF EXISTS flows_audit_refuse(), flows_audit_advance()")


def present(connection) -> set[str]:
    """The guard's triggers that are in the database (and enabled)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgenabled <> 'D'", [ENTRY]
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [ENTRY])
        return {name for (name,) in cursor.fetchall()} & set(_triggers(connection.vendor))


def missing(connection) -> list[str]:
    """The guard's triggers that are not in the database."""
    return sorted(set(_triggers(connection.vendor)) - present(connection))


def _drop(vendor: str, name: str) -> str:
    return f"DROP TRIGGER IF EXISTS {name} ON {ENTRY}" if vendor == "postgresql" else f"DROP TRIGGER IF EXISTS {name}"
