"""Named database triggers created and dropped together: the shape the audit log's guard (guard.py) and the
sealed count's guard (ballot_guard.py) share. Each guard states its SQL; this installs, lifts and lists it on
SQLite or PostgreSQL."""


class TriggerSet:
    def __init__(self, *, tables, sqlite: dict, postgresql: dict, pg_functions=(), pg_function_names=()):
        """`sqlite`: {name: CREATE TRIGGER sql}; `postgresql`: {name: (table, CREATE TRIGGER sql)};
        `pg_functions`: the CREATE FUNCTION statements the PostgreSQL triggers call, dropped by `uninstall`
        under `pg_function_names`."""
        self.tables = tuple(tables)
        self.sqlite = sqlite
        self.postgresql = postgresql
        self.pg_functions = tuple(pg_functions)
        self.pg_function_names = tuple(pg_function_names)

    def triggers(self, vendor: str) -> dict:
        if vendor == "postgresql":
            return {name: sql for name, (_table, sql) in self.postgresql.items()}
        return self.sqlite

    def drop_sql(self, vendor: str, name: str, table: str | None = None) -> str:
        if vendor == "postgresql":
            on = table or self.postgresql.get(name, (self.tables[0],))[0]
            return f"DROP TRIGGER IF EXISTS {name} ON {on}"
        return f"DROP TRIGGER IF EXISTS {name}"

    def install(self, connection, names=None) -> None:
        """Create the triggers (all of them, or those named)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for sql in self.pg_functions:
                    cursor.execute(sql)
            for name, sql in self.triggers(connection.vendor).items():
                if names is None or name in names:
                    cursor.execute(self.drop_sql(connection.vendor, name))
                    cursor.execute(sql)

    def lift(self, connection, names=None) -> None:
        """Drop the triggers (all of them, or those named)."""
        with connection.cursor() as cursor:
            for name in self.triggers(connection.vendor):
                if names is None or name in names:
                    cursor.execute(self.drop_sql(connection.vendor, name))

    def drop_functions(self, connection, names=None) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"DROP FUNCTION IF EXISTS {', '.join(names or self.pg_function_names)}")

    def uninstall(self, connection) -> None:
        self.lift(connection)
        self.drop_functions(connection)

    def present(self, connection) -> set[str]:
        """The triggers that are in the database (and enabled)."""
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(self.tables))
            if connection.vendor == "postgresql":
                regs = ", ".join(["to_regclass(%s)"] * len(self.tables))
                cursor.execute(
                    f"SELECT tgname FROM pg_trigger WHERE tgrelid IN ({regs}) AND tgenabled <> 'D'", self.tables
                )
            else:
                cursor.execute(
                    f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})", self.tables
                )
            return {name for (name,) in cursor.fetchall()} & set(self.triggers(connection.vendor))

    def missing(self, connection) -> list[str]:
        """The triggers that are not in the database."""
        return sorted(set(self.triggers(connection.vendor)) - self.present(connection))
