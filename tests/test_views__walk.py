"""No dead ends: each demo role walks its pages from 我的待办, following every link it is shown (breadth first,
within the site), and never reaches a 403, a 404 or an error page. A link to something the user may not do is a
link that should not have been shown."""

import re
from collections import deque

import pytest

from flows.services.demo import demo_logins

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#]*)"')
SKIP = (
    "/logout",
    "/static/",
    "/admin/",  # Django's own admin (staff only, its own pages)
    "/i18n/",
    "/b/",  # the public ballot pages: a code is needed
    "/excel/export/",  # downloads (tested on their own), slow to build one by one here
    "/report.",
    "/certificate.",
    "/results.xlsx",
)
LIMIT = 80


def walk(client, start="/", on_page=None):
    """Breadth first from `start`; returns the refused or failed addresses (with the page that linked them) and how
    many were seen. `on_page(url, html)` is called with every HTML page reached."""
    seen, queue, bad, came_from = {start}, deque([start]), [], {}
    while queue and len(seen) <= LIMIT:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code in (403, 404) or response.status_code >= 500:
            bad.append((url, response.status_code, came_from.get(url)))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        if on_page:
            on_page(url, body)
        for href in HREF.findall(body):
            href = href.replace("&amp;", "&")
            if href.startswith(SKIP) or href in seen:
                continue
            seen.add(href)
            came_from[href] = url
            queue.append(href)
    return bad, len(seen)


def test_every_demo_role_follows_every_link_it_is_shown(client, demo):
    from flows.services.demo import demo_cycle

    demo_cycle()
    walked = {}
    for user, _held in demo_logins():
        client.force_login(user)
        bad, n = walk(client)
        assert not bad, (user.username, bad)
        walked[user.username] = n
    assert len(walked) >= 5 and min(walked.values()) >= 5


def test_the_guide_puts_each_users_own_roles_first(client, demo):
    from flows.models import User

    client.force_login(User.objects.get(username="fenguan"))
    page = client.get("/guide/").content.decode()
    assert "操作指南" in page and page.index('id="direct_charge"') < page.index('id="office"')
    client.force_login(User.objects.get(username="zuzhibu"))
    page = client.get("/guide/").content.decode()
    assert page.index('id="office"') < page.index('id="direct_charge"') and "等次审定" in page
    assert 'href="/guide/"' in client.get("/").content.decode()  # reachable from every page's header
