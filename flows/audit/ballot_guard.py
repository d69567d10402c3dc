"""The database's own guard on a closed count: once an evaluation is closed, its ballots and their marks refuse
INSERT, UPDATE and DELETE, whoever asks (the application, a console, a script). While voting is open, a cast may
move rows (flows/services/ballots.py stores each new ballot in the place of a random earlier one, so that the
storage order says nothing about the order of casting).

Installed by migration 0023_ballot_seal. `flush` (manage.py flush, and the test runner between transactional
tests) empties every table on purpose: it lifts this guard inside its own transaction and puts it back before
committing (flows/management/commands/flush.py). A migration that rebuilds flows_ballot or flows_ballotmark on
SQLite drops these triggers and must call `install` again.
"""

BALLOT = "flows_ballot"
MARK = "flows_ballotmark"
CAMPAIGN = "flows_campaign"
CLOSED = "closed"
REFUSE = "the count of a closed evaluation is sealed: its ballots and marks cannot be added, changed or deleted"

_BALLOT_CLOSED = f"(SELECT state FROM {CAMPAIGN} WHERE id = {{row}}.campaign_id) = '{CLOSED}'"
_MARK_CLOSED = (
    f"(SELECT c.state FROM {CAMPAIGN} c JOIN {BALLOT} b ON b.campaign_id = c.id WHERE b.id = {{row}}.ballot_id)"
    f" = '{CLOSED}'"
)


def _sqlite(name, when, table, condition):
    return (
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
    )


SQLITE_TRIGGERS = {
    f"flows_{kind}_sealed_{when.lower()}": _sqlite(
        f"flows_{kind}_sealed_{when.lower()}", when, table, closed.format(row="NEW" if when == "INSERT" else "OLD")
    )
    for kind, table, closed in (("ballot", BALLOT, _BALLOT_CLOSED), ("mark", MARK, _MARK_CLOSED))
    for when in ("INSERT", "UPDATE", "DELETE")
}

PG_FUNCTIONS = (
    f"""
    CREATE OR REPLACE FUNCTION flows_ballot_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE row_campaign bigint;
    BEGIN
      IF TG_OP = 'INSERT' THEN row_campaign := NEW.campaign_id; ELSE row_campaign := OLD.campaign_id; END IF;
      IF (SELECT state FROM {CAMPAIGN} WHERE id = row_campaign) = '{CLOSED}' THEN
        RAISE EXCEPTION '{REFUSE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION flows_mark_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE row_ballot uuid;
    BEGIN
      IF TG_OP = 'INSERT' THEN row_ballot := NEW.ballot_id; ELSE row_ballot := OLD.ballot_id; END IF;
      IF (SELECT c.state FROM {CAMPAIGN} c JOIN {BALLOT} b ON b.campaign_id = c.id WHERE b.id = row_ballot)
         = '{CLOSED}' THEN
        RAISE EXCEPTION '{REFUSE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$
    """,
)
PG_TRIGGERS = {
    "flows_ballot_sealed": (
        BALLOT,
        f"CREATE TRIGGER flows_ballot_sealed BEFORE INSERT OR UPDATE OR DELETE ON {BALLOT} "
        "FOR EACH ROW EXECUTE FUNCTION flows_ballot_sealed()",
    ),
    "flows_mark_sealed": (
        MARK,
        f"CREATE TRIGGER flows_mark_sealed BEFORE INSERT OR UPDATE OR DELETE ON {MARK} "
        "FOR EACH ROW EXECUTE FUNCTION flows_mark_sealed()",
    ),
}
PG_FUNCTION_NAMES = ("flows_ballot_sealed()", "flows_mark_sealed()")


def _table_of(name: str) -> str:
    return MARK if name.startswith("flows_mark") else BALLOT


def _triggers(vendor: str) -> dict:
    if vendor == "postgresql":
        return {name: sql for name, (_table, sql) in PG_TRIGGERS.items()}
    return SQLITE_TRIGGERS


def _drop(vendor: str, name: str) -> str:
    if vendor == "postgresql":
        return f"DROP TRIGGER IF EXISTS {name} ON {_table_of(name)}"
    return f"DROP TRIGGER IF EXISTS {name}"


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
            cursor.execute(f"DROP FUNCTION IF EXISTS {', '.join(PG_FUNCTION_NAMES)}")


def present(connection) -> set[str]:
    """The guard's triggers that are in the database (and enabled)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid IN (to_regclass(%s), to_regclass(%s)) "
                "AND tgenabled <> 'D'",
                [BALLOT, MARK],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)", [BALLOT, MARK]
            )
        return {name for (name,) in cursor.fetchall()} & set(_triggers(connection.vendor))


def missing(connection) -> list[str]:
    return sorted(set(_triggers(connection.vendor)) - present(connection))
