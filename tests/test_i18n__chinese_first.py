"""Simplified Chinese by default, English when chosen; the compiled catalogue matches its source."""

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
CATALOGUE = Path(settings.BASE_DIR) / "flows" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_the_login_page_is_chinese_even_for_an_english_browser(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in body and "用户名" in body
    assert 'lang="zh-hans"' in body


def test_english_is_one_click_away_and_sticks(client, demo):
    client.force_login(__import__("flows.models", fromlist=["User"]).User.objects.get(username="shuji"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("home")).content.decode()
    assert "My tasks" in body and "我的待办" not in body
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我的待办" in client.get(reverse("home")).content.decode()


def test_the_domain_terms_are_the_officials_words(client, demo):
    from flows.models import User

    client.force_login(User.objects.get(username="zuzhibu"))
    body = client.get(reverse("organisation_detail", kwargs={"code": "JC-QS-HT-01"})).content.decode()
    for term in ("书记（第一责任人）", "分管领导（直接责任人）", "领导组织", "指导组织", "属地管理", "党支部", "农村"):
        assert term in body, term


def test_every_translated_message_is_in_the_compiled_catalogue():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    with open(CATALOGUE / "django.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    untranslated = [e.msgid for e in po if not e.translated() and not e.obsolete]
    assert untranslated == [], f"untranslated: {untranslated}"
    for entry in po.translated_entries():
        if entry.msgid_plural:
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif not entry.msgctxt:
            assert mo.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_times_are_shanghai_time():
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
