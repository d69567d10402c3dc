"""The owner of a rectification item asks for more time; the reviewer grants or refuses (seed practice: 延期申请)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flows import RectificationItemFlow
from flows.models import AuditEntry, ItemState, Outcome, Role
from flows.selectors.tasks import task_url
from flows.services import assessments as svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    h.review(
        a,
        fraction=Decimal("0.65"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[{"problem": "三会一课记录不全", "requirement": "", "owner": deputy, "due": h.next_week()}],
    )
    return a.rectification_items.get()


def waiting(item, node):
    return Task.objects.get(process=item.process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def test_granted_extension_moves_the_due_date_and_the_owner_works_on(item):
    later = item.due + datetime.timedelta(days=30)
    svc.extension_request(item=item, by=item.owner, due=later, reason="需等待镇里统一培训")
    item.refresh_from_db()
    assert item.state == ItemState.EXTENSION_REQUESTED
    reviewer = h.reviewer_of(item.assessment)
    decide = waiting(item, RectificationItemFlow.decide_extension)
    assert RectificationItemFlow.decide_extension.is_eligible(reviewer, decide)
    assert not RectificationItemFlow.decide_extension.is_eligible(item.owner, decide)

    svc.extension_decide(item=item, by=reviewer, grant=True)
    item.refresh_from_db()
    assert item.state == ItemState.OPEN and item.due == later
    assert waiting(item, RectificationItemFlow.report).owner == item.owner
    actions = list(AuditEntry.objects.filter(subject_id=str(item.pk)).values_list("action", flat=True))
    assert "rectificationitem.request_extension" in actions and "rectificationitem.grant_extension" in actions


def test_refused_extension_keeps_the_due_date_and_needs_a_reason(item):
    due = item.due
    svc.extension_request(item=item, by=item.owner, due=due + datetime.timedelta(days=10), reason="人手不足")
    reviewer = h.reviewer_of(item.assessment)
    with pytest.raises(ValidationError):
        svc.extension_decide(item=item, by=reviewer, grant=False, comment="")
    svc.extension_decide(item=item, by=reviewer, grant=False, comment="期限内可以完成")
    item.refresh_from_db()
    assert item.state == ItemState.OPEN and item.due == due
    with pytest.raises(AlreadyHandled):
        svc.extension_decide(item=item, by=reviewer, grant=True)


def test_only_the_owner_asks_and_only_for_a_later_date_with_a_reason(item):
    later = item.due + datetime.timedelta(days=5)
    with pytest.raises(PermissionDenied):
        svc.extension_request(item=item, by=h.reviewer_of(item.assessment), due=later, reason="理由")
    with pytest.raises(ValidationError):
        svc.extension_request(item=item, by=item.owner, due=item.due, reason="理由")
    with pytest.raises(ValidationError):
        svc.extension_request(item=item, by=item.owner, due=later, reason="  ")
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_the_owner_asks_on_the_report_screen_and_a_wrong_user_is_refused_the_decision(client, item):
    client.force_login(item.owner)
    url = task_url(waiting(item, RectificationItemFlow.report))
    later = (item.due + datetime.timedelta(days=20)).isoformat()
    page = client.get(url)
    assert "申请延期" in page.content.decode()
    client.post(url, {"extension": "1", "due": later, "reason": "等待上级批复"})
    item.refresh_from_db()
    assert item.state == ItemState.EXTENSION_REQUESTED
    decide_url = task_url(waiting(item, RectificationItemFlow.decide_extension))
    assert client.get(decide_url).status_code == 404  # the owner may not decide on their own request
    client.force_login(h.reviewer_of(item.assessment))
    assert client.get(decide_url).status_code == 200
    client.post(decide_url, {"decision": "grant", "comment": ""})
    item.refresh_from_db()
    assert item.state == ItemState.OPEN and item.due.isoformat() == later
