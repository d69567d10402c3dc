"""The main menu on every page: the links a person may follow, the current page marked for screen readers and the
stylesheet, the count of open tasks, the administration link for staff only, in the language of the request."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.models import Task

from flows.models import Notification, User
from flows.policy import access
from flows.services.tasks import OPEN_STATUSES

pytestmark = pytest.mark.django_db


def menu_of(body: str) -> list[tuple[str, str, bool]]:
    """(label, link, current?) of each menu entry, in order."""
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', body, re.S).group(1)
    return [
        (re.sub(r"<span.*?</span>", "", label), href, bool(current))
        for href, current, label in re.findall(r'<a href="([^"]+)"( aria-current="page")?>(.*?)</a>', nav)
    ]


def test_the_office_sees_every_entry_with_the_current_page_marked(client, demo):
    client.force_login(User.objects.get(username="zuzhibu"))
    entries = menu_of(client.get(reverse("home")).content.decode())
    labels = [label for label, _href, _current in entries]
    assert labels[:3] == ["我的待办", "待认领", "已办"] and "逐年对比" in labels and "书面报告" in labels
    assert [label for label, _h, current in entries if current] == ["我的待办"]
    assert ("考核周期", reverse("cycle_list"), False) in entries
    on_cycles = menu_of(client.get(reverse("cycle_list")).content.decode())
    assert [label for label, _h, current in on_cycles if current] == ["考核周期"]
    assert "系统管理" not in labels


def test_a_village_secretary_has_no_year_over_year_and_staff_get_administration(client, demo):
    client.force_login(User.objects.get(username="shuji"))
    labels = [label for label, _h, _c in menu_of(client.get(reverse("home")).content.decode())]
    assert "逐年对比" not in labels and "我的待办" in labels and "系统管理" not in labels
    staff = User.objects.get(username="shuji")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(User.objects.get(pk=staff.pk))
    entries = menu_of(client.get(reverse("home")).content.decode())
    assert ("系统管理", reverse("admin:index"), False) in entries


def test_the_badge_counts_open_tasks_and_hides_at_zero(client, demo):
    client.force_login(User.objects.get(username="dangyuan"))  # a party member: no task
    body = client.get(reverse("cycle_list")).content.decode()
    assert '<span class="badge" data-inbox-count hidden>0</span>' in body


def test_a_pages_header_counts_and_menu_answers_come_from_one_statement(client, demo):
    """On every page but 我的待办 (which counts them in its own statement), the badge of open tasks, the badge of
    unread notifications and who sees 逐年对比 / 述职评议 are asked together, once, and show what is stored."""
    user = next(  # someone with open tasks who sees 逐年对比 (an officer, or a leader of an organisation over others)
        u
        for u in User.objects.filter(is_active=True, is_superuser=False).order_by("username")
        if Task.objects.filter(owner=u, status__in=OPEN_STATUSES).exists() and access.may_see_year_over_year(u)
    )
    Notification.objects.create(user=user, title="新待办：审核自评", link="/")
    Notification.objects.create(user=user, title="提醒", link="/")
    open_tasks = Task.objects.filter(owner=user, status__in=OPEN_STATUSES).count()
    unread = Notification.objects.filter(user=user, read_at=None).count()
    assert open_tasks and unread >= 2
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("organisation_tree")).content.decode()
    assert f'<span class="badge" data-inbox-count>{open_tasks}</span>' in body
    assert f'<span class="badge" data-unread>{unread}</span>' in body
    assert "逐年对比" in [label for label, _h, _c in menu_of(body)]
    asking = [q["sql"] for q in queries if "flows_notification" in q["sql"] or "viewflow_task" in q["sql"]]
    assert len(asking) == 1, asking
    assert "flows_officemembership" in asking[0] and "flows_reportmeeting" in asking[0]  # the menu's questions too


def test_the_menu_speaks_english_when_chosen(client, demo):
    client.force_login(User.objects.get(username="zuzhibu"))
    client.cookies["django_language"] = "en"
    labels = [label for label, _h, _c in menu_of(client.get(reverse("home")).content.decode())]
    assert labels[:3] == ["My tasks", "To claim", "Done"] and "Year over year" in labels
