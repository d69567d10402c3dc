"""Chinese everywhere in Chinese mode (issue 18): each demo role walks every page it is shown (as in
test_views__walk) in zh-hans, and no page shows an English word or a raw code to a person — in the text, in a
tooltip, a placeholder, a label read by a screen reader, a confirmation or a button. What is shown as code on
purpose (inside <code>: commands, hashes) and organisation codes (JC-QS-HT) are not words; file kinds and the
language switch ("English") are the only English a user meets."""

import html
import re
from collections import defaultdict

import pytest

from flows.services.demo import demo_logins
from tests.test_views__walk import walk

pytestmark = pytest.mark.django_db

HIDDEN = re.compile(r"<(script|style|code|kbd|pre|svg|title)\b.*?</\1>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
SHOWN_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|alt|data-confirm)="([^"]*)"')
BUTTON_VALUE = re.compile(r'<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"')
ORG_CODE = re.compile(r"\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b")
WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")
ALLOWED = {
    "English",  # the language switch names its language
    "Excel", "Word", "Office", "PDF", "pdf", "xls", "xlsx", "JPG", "PNG", "DOCX", "XLSX",  # file kinds
}


def shown_words(body: str) -> set[str]:
    """The English words a person sees on the page (text, tooltips, placeholders, labels, confirmations, buttons)."""
    text = TAG.sub(" ", HIDDEN.sub(" ", body))
    shown = [text, *SHOWN_ATTRIBUTES.findall(body), *BUTTON_VALUE.findall(body)]
    words = set()
    for part in shown:
        words.update(WORD.findall(ORG_CODE.sub(" ", html.unescape(part))))
    return words - ALLOWED


def test_shown_words_sees_tooltips_and_skips_code():
    page = '<p>已提交 <span class="rag green" title="green"></span><code>verify_draw 3</code> JC-QS-HT Excel</p>'
    assert shown_words(page) == {"green"}
    assert shown_words('<button data-confirm="确定？">结束</button><input type="submit" value="Save">') == {"Save"}


def test_every_page_of_every_demo_role_is_in_chinese(client, demo):
    from flows.services.demo import demo_cycle

    demo_cycle()
    english = defaultdict(set)

    def look(url, body):
        for word in shown_words(body):
            english[word].add(url)

    pages = 0
    for user, _held in demo_logins():
        client.force_login(user)
        bad, n = walk(client, on_page=look)
        assert not bad, (user.username, bad)
        pages += n
    assert pages > 100  # the walk did reach the pages
    assert not english, {word: sorted(urls)[:3] for word, urls in english.items()}
