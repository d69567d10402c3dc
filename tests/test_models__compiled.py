"""Queries compiled once (flows/models/compiled.py): the same rows and objects as the queryset they are written as,
compiled once per process, and refused where a value could change the statement's shape."""

import datetime
from unittest import mock

import pytest
from django.db import connection, transaction
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from flows.models import Organisation, Role, RoleAssignment
from flows.models.compiled import CompiledQuery
from tests.factories import UserFactory, give_role, make_org

pytestmark = pytest.mark.django_db


def _held(user_id, day):
    return RoleAssignment.objects.current(day).filter(user_id=user_id).select_related("organisation", "user")


@pytest.fixture
def people():
    """Two people; one holds a post in two branches, one of them ended at the end of 2023."""
    root = Organisation.objects.filter(depth=1).first()  # the demo city's, when it is loaded
    top = make_org(root, name="上级党委") if root else make_org(name="上级党委")
    first, second = make_org(top, name="第一支部"), make_org(top, name="第二支部")
    li, wang = UserFactory(username="li"), UserFactory(username="wang")
    give_role(li, first, Role.SECRETARY, start=datetime.date(2021, 1, 1))
    give_role(li, second, Role.DEPUTY, start=datetime.date(2021, 1, 1), end=datetime.date(2023, 12, 31))
    give_role(wang, second, Role.SECRETARY, start=datetime.date(2024, 1, 1))
    return li, wang


def test_a_compiled_query_gives_what_its_queryset_gives_for_each_value(people):
    li, wang = people
    held = CompiledQuery(_held, user_id=int, day=datetime.date)
    for user in (li, wang):
        for day in (datetime.date(2020, 6, 1), datetime.date(2023, 6, 1), datetime.date(2025, 6, 1)):
            expected = list(_held(user.pk, day).order_by("pk"))
            got = sorted(held(user_id=user.pk, day=day), key=lambda ra: ra.pk)
            assert [(ra.pk, ra.role, ra.organisation.name, ra.user.username) for ra in got] == [
                (ra.pk, ra.role, ra.organisation.name, ra.user.username) for ra in expected
            ]
    in_2023 = held(user_id=li.pk, day=datetime.date(2023, 6, 1))
    assert sorted(ra.organisation.name for ra in in_2023) == ["第一支部", "第二支部"]
    assert [ra.organisation.name for ra in held(user_id=li.pk, day=datetime.date(2025, 6, 1))] == ["第一支部"]
    assert held(user_id=li.pk, day=datetime.date(2020, 6, 1)) == []


def test_it_is_compiled_once_and_then_runs_one_statement_with_its_related_objects_filled_in(people):
    li, _wang = people
    build = mock.Mock(side_effect=_held)
    held = CompiledQuery(build, user_id=int, day=datetime.date)
    held(user_id=li.pk, day=datetime.date(2023, 6, 1))
    with (
        mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as compiling,
        CaptureQueriesContext(connection) as ran,
    ):
        rows = held(user_id=li.pk, day=datetime.date(2023, 6, 1))
        names = sorted(ra.organisation.name for ra in rows)  # read from the objects the one statement brought
        list(_held(li.pk, datetime.date(2023, 6, 1)))  # the same query as a queryset: compiled on the spot
    assert build.call_count == 1  # built once, with the probes
    assert compiling.call_count == 1  # the queryset's, not the compiled query's
    assert len(ran) == 2
    assert names == ["第一支部", "第二支部"]


def test_values_lists_and_prefetched_lists_come_out_as_the_orm_makes_them(people):
    li, wang = people
    paths = CompiledQuery(
        lambda user_id, day: (
            RoleAssignment.objects.current(day)
            .filter(user_id=user_id)
            .order_by("organisation__path")
            .values_list("organisation__name", "role")
        ),
        user_id=int,
        day=datetime.date,
    )
    assert paths(user_id=li.pk, day=datetime.date(2023, 6, 1)) == [("第一支部", "secretary"), ("第二支部", "deputy")]
    assert paths(user_id=wang.pk, day=datetime.date(2023, 6, 1)) == []
    branches = CompiledQuery(
        lambda org_id: Organisation.objects.filter(pk=org_id).prefetch_related("roles"), org_id=int
    )
    second = Organisation.objects.get(name="第二支部")
    (org,) = branches(org_id=second.pk)
    with CaptureQueriesContext(connection) as ran:
        held = sorted((ra.user.username, ra.role) for ra in org.roles.select_related("user"))
    assert held == [("li", "deputy"), ("wang", "secretary")]
    assert len(ran) == 1


def test_each_columns_value_is_converted_as_the_orm_converts_it_and_how_is_worked_out_once(people):
    li, _wang = people

    def starts(user_id):
        return (
            RoleAssignment.objects.filter(user_id=user_id)
            .order_by("start", "organisation__name")
            .values_list("start", "end", "organisation__name")
        )

    compiled = CompiledQuery(starts, user_id=int)
    first = compiled(user_id=li.pk)
    with mock.patch.object(
        SQLCompiler, "get_converters", autospec=True, side_effect=SQLCompiler.get_converters
    ) as working_out:
        again = compiled(user_id=li.pk)
    assert working_out.call_count == 0  # the converters kept from the first run
    expected = [
        (datetime.date(2021, 1, 1), None, "第一支部"),
        (datetime.date(2021, 1, 1), datetime.date(2023, 12, 31), "第二支部"),
    ]
    assert again == first == list(starts(li.pk)) == expected
    assert all(type(row[0]) is datetime.date for row in again)  # a day, not the text SQLite keeps


@pytest.mark.parametrize(
    "value",
    [[1, 2], None, True, "7", datetime.datetime(2024, 1, 1, 8, 0)],
    ids=["a list", "None", "a boolean", "text", "a moment"],
)
def test_a_value_that_could_change_the_statements_shape_is_refused(people, value):
    li, _wang = people
    held = CompiledQuery(_held, user_id=int, day=datetime.date)
    with pytest.raises(TypeError):
        held(user_id=li.pk, day=value)
    with pytest.raises(TypeError):
        held(user_id=value, day=datetime.date(2024, 1, 1))
    with pytest.raises(TypeError):
        held(user_id=li.pk)  # a value missing


def test_a_query_that_does_not_compare_a_value_as_is_is_refused(people):
    li, _wang = people
    unused = CompiledQuery(lambda user_id: RoleAssignment.objects.filter(user_id__gt=0), user_id=int)
    with pytest.raises(ValueError, match="user_id"):
        unused(user_id=li.pk)
    with pytest.raises(TypeError):
        CompiledQuery(_held, user_id=float)


def test_an_id_out_of_a_columns_range_gives_what_the_orm_gives(people):
    """An id typed into a URL can be any number: past a 32-bit column's range the queryset itself runs, which knows
    each column's range (a primary key past it finds nothing, where the database would refuse the number)."""
    li, _wang = people
    held = CompiledQuery(_held, user_id=int, day=datetime.date)
    for big in (2**31, 2**40, -(2**31) - 1):
        assert held(user_id=big, day=datetime.date(2023, 6, 1)) == list(_held(big, datetime.date(2023, 6, 1))) == []
    one = CompiledQuery(lambda org_id: Organisation.objects.filter(pk=org_id), org_id=int)
    for huge in (2**63, 10**30, -(2**63) - 1):
        assert one(org_id=huge) == []
    assert len(held(user_id=li.pk, day=datetime.date(2023, 6, 1))) == 2


@pytest.mark.django_db(transaction=True)
def test_a_locking_query_runs_only_inside_a_transaction_every_time_as_the_orm_has_it(people):
    li, _wang = people
    locking = CompiledQuery(
        lambda user_id: RoleAssignment.objects.select_for_update().filter(user_id=user_id).order_by("pk"), user_id=int
    )
    with transaction.atomic(), CaptureQueriesContext(connection) as ran:
        assert len(locking(user_id=li.pk)) == 2
        assert len(locking(user_id=li.pk)) == 2  # the kept statement
    if connection.features.has_select_for_update:  # PostgreSQL locks the rows; SQLite locks the whole database
        assert all(q["sql"].endswith("FOR UPDATE") for q in ran.captured_queries if "SELECT" in q["sql"])
        with pytest.raises(TransactionManagementError):
            locking(user_id=li.pk)  # outside a transaction, after it was compiled
