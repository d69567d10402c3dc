"""The database's own guard on a closed count: once an evaluation is closed, its ballots and their marks refuse
INSERT, UPDATE and DELETE, whoever asks (the application, a console, a script). While voting is open, a cast may
move rows (flows/services/ballots.py stores each new ballot in the place of a random earlier one, so that the
storage order says nothing about the order of casting).

Installed by migration 0023_ballot_seal. `flush` (manage.py flush, and the test runner between transactional
tests) empties every table on purpose: it lifts this guard inside its own transaction and puts it back before
committing (flows/management/commands/flush.py). A migration that rebuilds flows_ballot or flows_ballotmark on
SQLite drops these triggers and must call `install` again.
"""

from flows.audit.triggers import TriggerSet

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
    return f"CREATE TRIGGER {name} BEFORE {when} ON {table} WHEN {condition} BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"


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

GUARD = TriggerSet(
    tables=(BALLOT, MARK),
    sqlite=SQLITE_TRIGGERS,
    postgresql=PG_TRIGGERS,
    pg_functions=PG_FUNCTIONS,
    pg_function_names=PG_FUNCTION_NAMES,
)
install, lift, uninstall, present, missing = GUARD.install, GUARD.lift, GUARD.uninstall, GUARD.present, GUARD.missing
