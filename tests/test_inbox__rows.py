"""The rows of a task list, written in one pass (flows/templatetags/task_lists.py): every value a user typed is
escaped as a template would escape it, and plain values are written as they are."""

import datetime

from flows.templatetags.task_lists import task_rows

AT = datetime.datetime(2026, 12, 7, 1, 30, tzinfo=datetime.UTC)


def row(**values):
    return {
        "task_id": 7,
        "url": "/flow/assessment/3/draft_self/7/",
        "title": "填写自评",
        "problem": "",
        "organisation": "石桥村党支部",
        "organisation_url": "/assessments/3/",
        "context": "2026年度考核",
        "due": datetime.date(2026, 12, 10),
        "rag": "yellow",
        "at": AT,
        **values,
    }


def test_a_plain_row_is_written_as_it_is():
    html = task_rows([row()], "inbox")
    assert '<tr data-task="7">' in html
    assert '<a href="/flow/assessment/3/draft_self/7/">填写自评</a>' in html
    assert '<a href="/assessments/3/">石桥村党支部</a>' in html
    assert "<td>2026年度考核</td>" in html and "2026-12-10" in html
    assert "2026-12-07 09:30" in html  # arrived, in Asia/Shanghai


def test_typed_text_and_links_are_escaped_in_every_cell():
    hostile = row(
        url='/flow/x/"><script>alert(1)</script>/',
        problem="<img src=x onerror=alert(1)>台账缺失",
        organisation='<b>"东风"</b> & 社区',
        organisation_url="/assessments/3/?a=1&b='2'",
        context="<i>周期</i>",
    )
    html = task_rows([hostile], "inbox")
    for raw in ("<script>", "<img", "<b>", "<i>"):
        assert raw not in html, raw
    assert 'href="/flow/x/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;/"' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;&quot;东风&quot;&lt;/b&gt; &amp; 社区" in html
    assert 'href="/assessments/3/?a=1&amp;b=&#x27;2&#x27;"' in html
    assert "&lt;i&gt;周期&lt;/i&gt;" in html
