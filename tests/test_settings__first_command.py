"""The first command (bin/serve, on project.settings.dev) serves like production: a mistyped address or a page
outside the user's reach gets the app's own Chinese page, never Django's technical 404 with the URL list, and
static files are still served."""

import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import asgi_process

pytestmark = pytest.mark.django_db(transaction=True)

TECHNICAL = ("URLconf", "Page not found (404)", "Traceback", "DEBUG = True", "Using the URLconf")


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - our own server on loopback
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_first_commands_settings_show_the_chinese_pages_not_the_debug_ones(demo):
    with asgi_process(log_name="first-command", DJANGO_SETTINGS_MODULE="project.settings.dev") as url:
        status, body = fetch(url + "/no-such-page/")
        assert status == 404
        assert "页面不存在" in body or "未找到" in body
        assert not any(word in body for word in TECHNICAL)
        status, body = fetch(url + "/cycles/999999/")  # login required: the Chinese login page, not a trace
        assert status == 200 and "登录" in body and not any(word in body for word in TECHNICAL)
        status, css = fetch(url + "/static/zerenzhi/app.css")
        assert status == 200 and "{" in css
