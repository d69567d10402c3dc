"""The rectification screens of issue 20: the item page with its plan and progress forms, the extension decision
and the re-check task screens, the cycle's re-check interval. The wrong user is refused everywhere; a refused form
keeps what was typed; a second click is "already handled"."""

import datetime

import pytest
from django.urls import reverse

from flows.models import ItemState, Role, User
from flows.models.assessments import RecheckState, RectificationRecheck
from flows.models.people import today
from flows.selectors.tasks import task_url
from flows.services import assessments as svc
from flows.services import rectification as rsvc
from tests import cycle_helpers as h
from tests import rectification_helpers as rh

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(demo):
    return rh.item_under_rectification()


def other_county_secretary():
    from flows.models import RoleAssignment

    return RoleAssignment.objects.current().get(organisation__code="JC-BH", role=Role.SECRETARY).user


def test_the_item_page_and_its_forms_refuse_the_wrong_user(client, item):
    url = reverse("rectification_item", args=[item.pk])
    client.force_login(other_county_secretary())
    assert client.get(url).status_code == 404
    assert client.get(reverse("rectification_item", args=[999999])).status_code == 404
    for name, data in (("rectification_item_plan", {"plan": "外县的方案"}), ("rectification_item_progress", {})):
        assert client.post(reverse(name, args=[item.pk]), data | {"on": today(), "text": "x"}).status_code == 404
    # the reviewer sees the item but does not write its plan
    client.force_login(h.reviewer_of(item.assessment))
    page = client.get(url).content.decode()
    assert item.problem in page and reverse("rectification_item_plan", args=[item.pk]) not in page
    assert client.post(reverse("rectification_item_plan", args=[item.pk]), {"plan": "越俎代庖"}).status_code == 404
    item.refresh_from_db()
    assert item.plan == "" and not item.progress_reports.exists()


def test_the_owner_writes_the_plan_and_reports_progress_and_a_refused_form_keeps_the_text(client, item):
    client.force_login(item.owner)
    url = reverse("rectification_item", args=[item.pk])
    assert reverse("rectification_item_plan", args=[item.pk]) in client.get(url).content.decode()
    response = client.post(reverse("rectification_item_plan", args=[item.pk]), {"plan": "一、逐月补记；二、书记审核"})
    assert response.status_code == 302 and response["Location"] == url
    future = (today() + datetime.timedelta(days=3)).isoformat()
    refused = client.post(
        reverse("rectification_item_progress", args=[item.pk]), {"on": future, "text": "已补记到八月份"}
    )
    assert refused.status_code == 400 and "已补记到八月份" in refused.content.decode()
    assert not item.progress_reports.exists()
    client.post(reverse("rectification_item_progress", args=[item.pk]), {"on": today().isoformat(), "text": "已补记"})
    page = client.get(url).content.decode()
    assert "一、逐月补记；二、书记审核" in page and "已补记" in page and item.owner.real_name in page
    # the assessment page shows the plan and the latest progress on the rectification list
    client.force_login(h.reviewer_of(item.assessment))
    body = client.get(reverse("assessment_detail", args=[item.assessment_id])).content.decode()
    assert "一、逐月补记" in body and "已补记" in body and url in body


def test_an_extension_decision_clicked_twice_is_already_handled_and_shown_on_both_pages(client, item):
    first_due = item.due
    later = rh.later(item, 30)
    svc.extension_request(item=item, by=item.owner, due=later, reason="等待镇里统一培训")
    # pending: on the item page and the assessment page
    client.force_login(h.reviewer_of(item.assessment))
    pages = (reverse("rectification_item", args=[item.pk]), reverse("assessment_detail", args=[item.assessment_id]))
    for page in pages:
        body = client.get(page).content.decode()
        assert "已申请延期，待审批" in body and "等待镇里统一培训" in body
    url = task_url(rh.waiting(item, "decide_extension"))
    refused = client.post(url, {"decision": "refuse", "comment": ""})
    assert refused.status_code == 400
    assert client.post(url, {"decision": "grant", "comment": "同意"}).status_code == 302
    again = client.post(url, {"decision": "grant", "comment": "同意"})
    assert again.status_code == 409 and "已经处理过了" in again.content.decode()
    item.refresh_from_db()
    assert item.due == later and item.extensions.count() == 1
    body = client.get(reverse("rectification_item", args=[item.pk])).content.decode()
    assert first_due.isoformat() in body and later.isoformat() in body  # the old date is kept beside the new one


def test_the_recheck_screen_refuses_the_owner_keeps_typed_input_and_reopens_once(client, item):
    reviewer = rh.report_and_verify(item)
    rc = RectificationRecheck.objects.get(item=item)
    rsvc.rechecks_open_due(rc.due)
    url = task_url(rh.waiting(item, "recheck"))
    client.force_login(item.owner)
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "confirm"}).status_code == 404
    client.force_login(other_county_secretary())
    assert client.get(url).status_code == 404
    client.force_login(reviewer)
    assert client.get(url).status_code == 200
    new_due = (today() + datetime.timedelta(days=20)).isoformat()
    refused = client.post(url, {"decision": "reopen", "comment": "", "new_due": new_due})
    assert refused.status_code == 400 and new_due in refused.content.decode()
    item.refresh_from_db()
    assert item.state == ItemState.VERIFIED
    assert client.post(url, {"decision": "reopen", "comment": "记录又中断", "new_due": new_due}).status_code == 302
    again = client.post(url, {"decision": "confirm", "comment": ""})
    assert again.status_code == 409
    item.refresh_from_db()
    rc.refresh_from_db()
    assert item.state == ItemState.OPEN and item.due.isoformat() == new_due and rc.state == RecheckState.REOPENED
    body = client.get(reverse("rectification_item", args=[item.pk])).content.decode()
    assert "记录又中断" in body


def test_the_cycle_recheck_interval_is_set_by_its_office_only(client, item):
    cycle = item.assessment.cycle
    url = reverse("cycle_recheck_interval", args=[cycle.pk])
    client.force_login(other_county_secretary())
    assert client.post(url, {"recheck_interval_days": "30"}).status_code == 404
    client.force_login(User.objects.get(username="xianshuji"))  # sees the cycle, does not run it
    assert client.post(url, {"recheck_interval_days": "30"}).status_code == 404
    officer = h.county_officer()
    client.force_login(officer)
    assert url in client.get(reverse("cycle_detail", args=[cycle.pk])).content.decode()
    client.post(url, {"recheck_interval_days": "0"})
    cycle.refresh_from_db()
    assert cycle.recheck_interval_days == 90
    assert client.post(url, {"recheck_interval_days": "45"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.recheck_interval_days == 45
