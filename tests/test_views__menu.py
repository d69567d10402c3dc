"""The main menu on every page: the links a person may follow, the current page marked for screen readers and the
stylesheet, the count of open tasks, the administration link for staff only, in the language of the request."""

import re

import pytest
from django.urls import reverse

from flows.models import User

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


def test_the_menu_speaks_english_when_chosen(client, demo):
    client.force_login(User.objects.get(username="zuzhibu"))
    client.cookies["django_language"] = "en"
    labels = [label for label, _h, _c in menu_of(client.get(reverse("home")).content.decode())]
    assert labels[:3] == ["My tasks", "To claim", "Done"] and "Year over year" in labels
