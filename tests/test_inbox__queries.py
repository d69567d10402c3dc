"""My tasks (我的待办) answers in the same few queries whatever the size of the inbox and of the task table, and
still lists exactly the user's open tasks, oldest first, page by page, with their 红黄绿 and counts."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows import selectors
from flows.flows import AssessmentFlow
from flows.models import Assessment, OfficeMembership, Organisation, OversightOffice, ReviewCycle, Stage, User
from flows.models.people import today
from flows.selectors.inbox import PAGE_SIZE, rag_of
from flows.services import cycles as cycle_svc
from flows.services.deadlines import rag, rag_bounds
from flows.services.indicators import templates_load_defaults
from flows.services.people import office_join
from flows.services.synthetic import synthetic_tree

pytestmark = pytest.mark.django_db

ORGS = 90  # a launched cycle over 90 organisations: 90 draft tasks, each in its own deputy's inbox
# the session (unless Redis holds it), the user, and the page's one statement: the page of tasks with its counts, the
# cycles the filter offers and the menu's question (whether to show 逐年对比 and 述职评议)
PAGE_QUERIES = 2 if settings.SESSION_ENGINE.endswith("cached_db") else 3


def launched_tasks():
    """A cycle over a synthetic county: one open draft task per organisation, held by other people."""
    templates_load_defaults()
    root = Organisation.objects.get(depth=1)
    synthetic_tree(n=ORGS + 1, under=root, prefix="IQ", people=True)
    top = Organisation.objects.get(code="IQ-000001")
    officer = User.objects.create(username="iq-officer", real_name="待办测试")
    office = OversightOffice.objects.create(
        code="IQ-ZZB", name="待办测试组织部", kind="organisation_department", scope=top
    )
    office_join(by=None, user=officer, office=office, role="officer", start=datetime.date(2020, 1, 1))
    year = timezone.localdate().year
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=year,
        name="待办测试考核",
        **cycle_svc.due_dates_for_year(year),
    )
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    tasks = list(Task.objects.filter(process__assessment__cycle=cycle, flow_task=AssessmentFlow.draft_self))
    assert len(tasks) == ORGS
    # arrival times out of id order, so that "oldest first" is not "lowest id first"
    start = timezone.now() - datetime.timedelta(days=30)
    for i, t in enumerate(tasks):
        Task.objects.filter(pk=t.pk).update(created=start + datetime.timedelta(minutes=(i * 37) % ORGS))
    return cycle, [t.pk for t in tasks]


def give(user, task_ids, status=STATUS.ASSIGNED):
    Task.objects.filter(pk__in=task_ids).update(owner=user, status=status)


def listed(body) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-task="(\d+)">', body)]


def open_of(user) -> list[int]:
    """What the page should list, computed the plain way: the user's assigned or started tasks, oldest first."""
    mine = Task.objects.filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED]).order_by("created", "pk")
    return list(mine.values_list("pk", flat=True))


@pytest.fixture
def me(demo):
    return User.objects.create(username="iq-me", real_name="待办者")


@pytest.mark.parametrize("size", [5, 60])
def test_my_tasks_answers_in_the_same_number_of_queries_whatever_the_inbox_holds(
    client, me, size, django_assert_num_queries
):
    _cycle, ids = launched_tasks()
    give(me, ids[:size])
    give(me, ids[size : size + 3], status=STATUS.DONE)  # done: in the archive, not here
    client.force_login(me)
    with django_assert_num_queries(PAGE_QUERIES):
        body = client.get(reverse("inbox")).content.decode()
    assert listed(body) == open_of(me)[:PAGE_SIZE]
    with django_assert_num_queries(PAGE_QUERIES):  # a filtered page costs the same
        client.get(reverse("inbox"), {"due": "red", "q": "IQ", "stage": "draft_self"})


def test_the_pages_list_exactly_my_open_tasks_oldest_first(client, me):
    _cycle, ids = launched_tasks()
    give(me, ids[:58])
    give(me, ids[58:60], status=STATUS.STARTED)
    give(me, ids[60:63], status=STATUS.DONE)
    others = set(ids[63:])
    client.force_login(me)
    first = client.get(reverse("inbox")).content.decode()
    assert 'data-total="60"' in first  # the heading counts all of them, not the page
    assert "data-inbox-count>60<" in first  # the header badge
    after = re.search(r'href="\?after=([\d-]+)" rel="next"', first).group(1)
    second = client.get(reverse("inbox"), {"after": after}).content.decode()
    assert 'rel="next"' not in second
    seen = listed(first) + listed(second)
    assert len(listed(first)) == PAGE_SIZE
    assert seen == open_of(me) and len(seen) == 60
    assert not others & set(seen)
    for junk in ("99999999999999999999-1", "abc", "1-"):  # a cursor that is not ours: the first page, no error
        assert listed(client.get(reverse("inbox"), {"after": junk}).content.decode()) == listed(first)
    assert "待办测试考核" in first and "IQ 镇党委" in first  # the cycle and the organisation of each task


def test_the_due_filter_and_its_count_follow_the_colours_the_rows_show(client, me):
    cycle, ids = launched_tasks()
    give(me, ids[:12])
    client.force_login(me)
    now = today()
    # four of the twelve organisations' stages are overdue, four due tomorrow, four later
    mine = list(Assessment.objects.filter(process__task__pk__in=ids[:12]).order_by("pk"))
    ReviewCycle.objects.filter(pk=cycle.pk).update(
        self_due=now - datetime.timedelta(days=3),
        mass_due=now + datetime.timedelta(days=1),
        review_due=now + datetime.timedelta(days=60),
        rectification_due=now + datetime.timedelta(days=90),
    )
    Assessment.objects.filter(pk__in=[a.pk for a in mine[4:8]]).update(state=Stage.MASS_EVALUATION)
    Assessment.objects.filter(pk__in=[a.pk for a in mine[8:]]).update(state=Stage.SUPERIOR_REVIEW)
    everything = client.get(reverse("inbox")).content.decode()
    colours = re.findall(r'<tr data-task="\d+">.*?class="rag (\w+)"', everything)
    assert sorted(colours) == ["green"] * 4 + ["red"] * 4 + ["yellow"] * 4
    for colour in ("red", "yellow", "green"):
        body = client.get(reverse("inbox"), {"due": colour}).content.decode()
        rows = re.findall(r'<tr data-task="\d+">.*?class="rag (\w+)"', body)
        assert rows == [colour] * 4 and 'data-total="4"' in body


def test_the_colour_bounds_agree_with_the_working_day_rule():
    start = datetime.date(2026, 9, 28)  # around the National Day holiday and its make-up working days
    for offset in range(20):
        now = start + datetime.timedelta(days=offset)
        bounds = rag_bounds(now)
        for ahead in range(-3, 15):
            due = now + datetime.timedelta(days=ahead)
            assert rag_of(due, bounds) == rag(due, now), (now, due)


def test_the_open_tasks_index_is_on_viewflows_table():
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, Task._meta.db_table)
    assert constraints["task_open_by_owner"]["columns"] == ["owner_id", "created", "id"]


def test_the_step_filter_offers_the_steps_and_lists_only_that_step(client, me):
    cycle, ids = launched_tasks()
    give(me, ids[:5])
    client.force_login(me)
    body = client.get(reverse("inbox")).content.decode()
    assert '<option value="draft_self">起草自评</option>' in body
    assert '<option value="approve_self">审核自评</option>' in body
    assert body.index('name="stage"') < body.index("<div data-inbox-list>")  # a live refresh keeps what is typed
    drafts = client.get(reverse("inbox"), {"stage": "draft_self"}).content.decode()
    assert len(listed(drafts)) == 5
    assert '<option value="draft_self" selected>起草自评</option>' in drafts  # the chosen step stays chosen
    assert listed(client.get(reverse("inbox"), {"stage": "approve_self"}).content.decode()) == []


def test_the_cycle_filter_offers_the_cycles_of_my_offices_and_keeps_the_chosen_one(client, me):
    cycle, ids = launched_tasks()
    officer = User.objects.get(username="iq-officer")
    give(officer, ids[:3])
    client.force_login(officer)
    body = client.get(reverse("inbox"), {"cycle": cycle.pk}).content.decode()
    assert f'<option value="{cycle.pk}" selected>待办测试考核</option>' in body
    assert len(listed(body)) == 3
    client.force_login(me)  # in no office: no cycle to choose
    assert 'name="cycle"' not in client.get(reverse("inbox")).content.decode()
    ended = User.objects.create(username="iq-ended", real_name="已离任")
    office_join(by=None, user=ended, office=cycle.office, role="inspector", start=datetime.date(2020, 1, 1))
    OfficeMembership.objects.filter(user=ended).update(end=datetime.date(2021, 1, 1))
    for user in User.objects.all():  # the filter lists what cycles_for lists, for everyone
        expected = selectors.cycles_for(user).values_list("pk", "name")
        assert sorted(selectors.cycle_choices(user)) == sorted(expected), user.username
    assert selectors.cycle_choices(ended) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan; PostgreSQL plans by statistics")
def test_the_menus_meeting_question_reads_only_the_organisations_below_the_users_own(demo):
    """Every page asks whether to show 述职评议, in the statement of my tasks too. Asked from the meetings' side,
    SQLite walked every organisation of the tree for each role the user holds (12 ms a page for a person in direct
    charge of five branches, in a database of about 20,000 organisations); it must read the organisations at or
    below the user's own through the path index."""
    from flows.models import Role, RoleAssignment
    from flows.selectors.menu import menu_sql

    deputy = RoleAssignment.objects.current().filter(role=Role.DEPUTY).first().user
    sql, params = menu_sql(deputy)
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN QUERY PLAN SELECT {sql}", params)
        plan = [row[-1] for row in cur.fetchall()]
    holders = [step for step in plan if re.match(r"(SCAN|SEARCH) h\b", step)]  # the meetings' holding organisations
    assert holders and all(step.startswith("SEARCH h") and "(path>? AND path<?)" in step for step in holders), plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps its compiled statements itself")
def test_on_postgresql_the_pages_statements_are_planned_once_per_connection_not_on_every_page(client, me):
    """My tasks' one statement and the header's take longer for PostgreSQL to plan than to run. They run prepared:
    each is prepared once on the connection, and later pages (with the same filters) run that prepared statement
    again, listing the same tasks; a page with other filters is another statement, prepared once too."""
    _cycle, ids = launched_tasks()
    give(me, ids[:5])
    client.force_login(me)

    def prepared(fragment, without="no such text"):
        with connection.cursor() as cur:
            cur.execute(
                "SELECT custom_plans + generic_plans FROM pg_prepared_statements "
                "WHERE statement LIKE %s AND statement NOT LIKE %s",
                [f"%{fragment}%", f"%{without}%"],
            )
            return [runs for (runs,) in cur.fetchall()]

    bodies = [client.get(reverse("inbox")).content.decode() for _ in range(7)]
    assert all(listed(body) == open_of(me) for body in bodies)
    assert prepared("AS organisation_code") == [7]  # one statement, run seven times, planned by PostgreSQL once
    client.get(reverse("inbox"), {"due": "red"})
    assert sorted(prepared("AS organisation_code")) == [1, 7]
    client.get(reverse("notification_list"))
    client.get(reverse("notification_list"))
    assert prepared("n.read_at IS NULL", without="AS organisation_code") == [2]  # the header on any other page
