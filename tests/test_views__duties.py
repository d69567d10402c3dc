"""The duty lists' screens: 南坳村's secretary edits the list (a refused form keeps what was typed) and confirms it
(a double click is "already handled", not an error), the confirmation task in the inbox does the same, the office
sees who confirmed and returns a list with a reason, the review pages show each indicator beside its duties, and
every wrong user gets the same 404."""

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from flows.models import User
from flows.models.states import DutyListState
from flows.selectors import task_url
from tests import duty_helpers as dh

pytestmark = pytest.mark.django_db

SECRETARY, DEPUTY = "dingjianguo", "xuyonggang"  # 南坳村 (JC-QS-HT-03)


def as_user(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def edit_data(response, **changes) -> dict:
    """What the edit form posts as shown, with `changes` typed over it."""
    formset = response.context["formset"]
    data = {
        "l-TOTAL_FORMS": str(len(formset.forms)),
        "l-INITIAL_FORMS": str(formset.initial_form_count()),
        "l-MIN_NUM_FORMS": "0",
        "l-MAX_NUM_FORMS": "200",
    }
    for row in formset.forms:
        for name in row.fields:
            value = row[name].value()
            if name == "secretary_project":
                if value:
                    data[row.add_prefix(name)] = "on"
                continue
            data[row.add_prefix(name)] = "" if value is None else str(value)
    data |= changes
    return data


def add_project(response, n, *, codes="D4.5") -> dict:
    """Fill the first empty row (form `n`) with the secretary's project."""
    return edit_data(
        response,
        **{
            f"l-{n}-kind": "task",
            f"l-{n}-role": "secretary",
            f"l-{n}-text": "书记项目：南坳村党群服务驿站建设",
            f"l-{n}-secretary_project": "on",
            f"l-{n}-due": "2026-11-30",
            f"l-{n}-indicators": codes,
        },
    )


def test_the_secretary_edits_and_confirms_on_the_page(client, demo):
    dl = dh.duty_list("JC-QS-HT-03")
    c = as_user(client, SECRETARY)
    page = c.get(reverse("duty_list_detail", args=[dl.pk]))
    assert page.status_code == 200 and "南坳村" in page.content.decode()
    form = c.get(reverse("duty_list_edit", args=[dl.pk]))
    n = dl.lines.count()
    bad = add_project(form, n, codes="Z9.9")
    refused = c.post(reverse("duty_list_edit", args=[dl.pk]), bad)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Z9.9" in body and "南坳村党群服务驿站建设" in body  # kept as typed
    assert dl.lines.count() == n
    saved = c.post(reverse("duty_list_edit", args=[dl.pk]), add_project(form, n))
    assert saved.status_code == 302
    assert dl.lines.filter(kind="task", secretary_project=True).get().indicators.get().code == "D4.5"
    first = c.post(reverse("duty_list_confirm", args=[dl.pk]))
    second = c.post(reverse("duty_list_confirm", args=[dl.pk]), follow=True)
    assert first.status_code == 302 and second.status_code == 200
    dl.refresh_from_db()
    assert dl.state == DutyListState.CONFIRMED
    assert not Task.objects.filter(process_id=dl.process_id, status__in=["NEW", "ASSIGNED"]).exists()
    assert c.get(reverse("duty_list_edit", args=[dl.pk])).status_code == 404  # confirmed: no more edits


def test_confirming_without_a_secretarys_project_is_refused_clearly(client, demo):
    dl = dh.duty_list("JC-QS-HT-03")
    response = as_user(client, SECRETARY).post(reverse("duty_list_confirm", args=[dl.pk]))
    assert response.status_code == 400
    dl.refresh_from_db()
    assert dl.state == DutyListState.DRAFT


def test_the_task_in_the_inbox_confirms_the_list(client, demo):
    dl = dh.duty_list("JC-QS-HT-03")
    c = as_user(client, SECRETARY)
    form = c.get(reverse("duty_list_edit", args=[dl.pk]))
    c.post(reverse("duty_list_edit", args=[dl.pk]), add_project(form, dl.lines.count()))
    task = Task.objects.get(process_id=dl.process_id, status__in=["NEW", "ASSIGNED"])
    url = task_url(task)
    assert c.get(url).status_code == 200
    assert as_user(client, DEPUTY).get(url).status_code == 404  # someone else's task
    c = as_user(client, SECRETARY)
    assert c.post(url).status_code == 302
    dl.refresh_from_db()
    assert dl.state == DutyListState.CONFIRMED
    assert c.post(url).status_code == 409  # already handled


def test_the_office_sees_who_confirmed_and_returns_with_a_reason(client, demo):
    c = as_user(client, dh.CITY_OFFICER)
    overview = c.get(reverse("duty_overview", args=[dh.city_cycle().pk])).content.decode()
    assert "东坪村" in overview and "南坳村" in overview
    dl = dh.duty_list("JC-QS-HT-01")
    refused = c.post(reverse("duty_list_return", args=[dl.pk]), {"reason": ""})
    assert refused.status_code == 400
    ok = c.post(reverse("duty_list_return", args=[dl.pk]), {"reason": "请补充书记项目的时间节点"})
    assert ok.status_code == 302
    dl.refresh_from_db()
    assert dl.state == DutyListState.DRAFT and dl.returned_reason == "请补充书记项目的时间节点"
    again = c.post(reverse("duty_list_return", args=[dl.pk]), {"reason": "再退"}, follow=True)
    assert again.status_code == 200  # already handled, said on the page


def test_wrong_users_are_refused_on_every_duty_view(client, demo):
    dl = dh.duty_list("JC-QS-HT-03")
    cycle = dh.city_cycle()
    c = as_user(client, DEPUTY)  # sees the list, may not edit or confirm it, nor run the office's pages
    assert c.get(reverse("duty_list_detail", args=[dl.pk])).status_code == 200
    assert c.get(reverse("duty_list_edit", args=[dl.pk])).status_code == 404
    assert c.post(reverse("duty_list_confirm", args=[dl.pk])).status_code == 404
    assert c.post(reverse("duty_list_return", args=[dl.pk]), {"reason": "x"}).status_code == 404
    assert c.get(reverse("duty_publish", args=[cycle.pk])).status_code == 404
    assert c.get(reverse("duty_import", args=[cycle.pk])).status_code == 404
    c = as_user(client, "shuji")  # another village's secretary
    for name in ("duty_list_detail", "duty_list_edit", "duty_list_export"):
        assert c.get(reverse(name, args=[dl.pk])).status_code == 404
    dl.refresh_from_db()
    assert dl.state == DutyListState.DRAFT


def test_the_review_pages_show_the_duties_beside_each_indicator(client, demo):
    dl = dh.duty_list("JC-QS-HT-01")
    a = dl.cycle.assessments.get(organisation=dl.organisation)
    body = as_user(client, "shuji").get(reverse("assessment_detail", args=[a.pk])).content.decode()
    assert "duties-beside" in body and "发展壮大村集体经济" in body
