"""Queries the ORM compiles once per process, then runs with new values.

Building the SQL of a query costs Django more than running it on these pages: a task screen's dozen queries took
about 6 ms of compiling against well under 1 ms of running (the deadline day's scene, SQLite). A `CompiledQuery`
is written as an ordinary queryset built from named values. Its first run compiles it once with a probe for each
value (a distinctive number, text or day: compiled, never run), finds where each probe went among the statement's
parameters, and keeps the SQL and what Django needs to make rows into objects (the selected columns and how each
column's value is converted). Later runs put the new values in the probes' places and hand the kept SQL to Django's
own row-to-object code (`ModelIterable`, `values_list` …), so instances, `select_related` objects and
`prefetch_related` lists come out as the ORM makes them.

What may be a value: an id (`int`), a text (`str`) or a day (`datetime.date`), each used as a plain comparison,
so that its value never changes the statement's shape (not a list for `__in`, not `None`). A query whose shape
depends on a value stays an ordinary queryset. A `select_for_update` query is refused outside a transaction on every
run, as Django refuses it when it compiles one.
"""

import datetime
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError

# the probes are compiled, never run: each only has to be told apart from the query's own constants (and to lie in
# every integer column's range, so that the ORM keeps it as a parameter); the first value's, the next one less, …
_PROBE_ID = 2_147_400_321
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1  # the narrowest id column's range (PostgreSQL's integer)
_PROBE_DAY = datetime.date(1901, 2, 3)


def _adapt(connection, value):
    """A value as the ORM hands it to the database driver for a comparison with a field of its type."""
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


class _Kept:
    """One vendor's compiled statement: its SQL, where each value goes among its parameters, and the compiler's
    description of the selected columns."""

    def __init__(self, queryset: QuerySet, compiler, sql: str, slots: list):
        self.queryset, self.sql, self.slots = queryset, sql, slots
        self.select, self.klass_info = compiler.select, compiler.klass_info
        self.annotation_col_map, self.col_count = compiler.annotation_col_map, compiler.col_count
        self.has_extra_select = compiler.has_extra_select
        # how each selected column's value is converted (the backend's and the field's converters): worked out
        # from the same columns on every run otherwise
        self.converters = compiler.get_converters([s[0] for s in compiler.select[0 : compiler.col_count]])
        self.locks = queryset.query.select_for_update and compiler.connection.features.has_select_for_update


class CompiledQuery:
    """`CompiledQuery(build, user_id=int, day=datetime.date)`; `query(user_id=7, day=today())` is the list
    `list(build(user_id=7, day=today()))` would be, without compiling again."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        for name, kind in kinds.items():
            if kind not in (int, str, datetime.date):
                raise TypeError(f"{name}: only ids (int), text (str) and days (datetime.date) can be compiled in")
        self.build, self.kinds = build, kinds
        self._kept: dict[str, _Kept] = {}  # by database alias
        self._alias = None

    def _probes(self) -> dict:
        probes = {}
        for i, (name, kind) in enumerate(self.kinds.items()):
            if kind is int:
                probes[name] = _PROBE_ID - i
            elif kind is str:
                probes[name] = f"\x00probe {i}\x00"  # no text anyone types holds NUL characters
            else:
                probes[name] = _PROBE_DAY + datetime.timedelta(days=i)
        return probes

    def _compile(self, queryset: QuerySet, connection) -> _Kept:
        probes = self._probes()
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        adapted = {_adapt(connection, value): name for name, value in probes.items()}
        slots = []  # (True, value name) where a value goes, (False, parameter) for a constant of the query
        for param in params:
            name = adapted.get(param) if isinstance(param, int | str | datetime.date) else None
            slots.append((True, name) if name is not None else (False, param))
        placed = {name for is_value, name in slots if is_value}
        if placed != set(probes):
            missing = ", ".join(sorted(set(probes) - placed))
            raise ValueError(f"{missing}: not a parameter of the compiled statement (a value must be compared as is)")
        return _Kept(queryset, compiler, sql, slots)

    def __call__(self, **values) -> list:
        if values.keys() != self.kinds.keys():
            raise TypeError(f"expected the values {sorted(self.kinds)}, got {sorted(values)}")
        for name, value in values.items():  # a value of another type could change the statement's shape
            if type(value) is not self.kinds[name]:  # not True for an id, not a moment for a day
                raise TypeError(f"{name}: {value!r} is not a {self.kinds[name].__name__}")
        if any(type(v) is int and not _INT_MIN <= v <= _INT_MAX for v in values.values()):
            # out of a 32-bit column's range (an id typed into a URL): the ORM knows each column's range and gives
            # no rows where the database would refuse the number
            return list(self.build(**values))
        kept = self._kept.get(self._alias)
        if kept is None:
            queryset = self.build(**self._probes())
            self._alias = queryset.db  # the database the router picks for reading these rows
            kept = self._kept[self._alias] = self._compile(queryset, connections[self._alias])
        connection = connections[self._alias]
        if kept.locks and connection.get_autocommit():  # as Django checks it when it compiles such a query
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = tuple(_adapt(connection, values[v]) if is_value else v for is_value, v in kept.slots)
        queryset = kept.queryset._chain()  # a fresh queryset and query, nothing fetched yet
        query = queryset.query

        def get_compiler(using=None, connection=None, elide_empty=True):
            compiler = query.__class__.get_compiler(query, using=using, connection=connection, elide_empty=elide_empty)
            compiler.select, compiler.klass_info = kept.select, kept.klass_info
            compiler.annotation_col_map, compiler.col_count = kept.annotation_col_map, kept.col_count
            compiler.has_extra_select = kept.has_extra_select
            compiler.get_converters = lambda expressions: kept.converters
            compiler.as_sql = lambda *args, **kwargs: (kept.sql, params)
            return compiler

        query.get_compiler = get_compiler
        return list(queryset)
