"""The demo city shows rectification in depth (issue 20): 北山村's plan and progress, a pending extension request,
one granted earlier with its old date kept, and a re-check (回头看) due for 河塘镇; a second load adds nothing."""

import pytest

from flows.flows import RectificationItemFlow
from flows.models import ItemState, User
from flows.models.assessments import ExtensionDecision, RecheckState, RectificationExtension, RectificationRecheck
from flows.services.rectification_demo import demo_rectification
from tests import rectification_helpers as rh

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_plan_progress_extensions_and_a_recheck_due(demo, client):
    org = "JC-QS-HT-05"
    ext = RectificationExtension.objects.filter(item__assessment__organisation__code=org)
    pending = ext.get(decision=ExtensionDecision.PENDING)
    assert pending.item.state == ItemState.EXTENSION_REQUESTED and pending.item.plan
    assert pending.item.progress_reports.count() == 2
    granted = ext.get(decision=ExtensionDecision.APPROVED)
    assert granted.item.due == granted.new_due and granted.old_due < granted.new_due
    recheck = RectificationRecheck.objects.get(item__assessment__organisation__code=org)
    assert recheck.state == RecheckState.SCHEDULED and recheck.opened_at is not None
    reviewer = User.objects.get(username="dingxuejun")
    task = rh.waiting(recheck.item, "recheck")
    assert RectificationItemFlow.recheck.is_eligible(reviewer, task)
    assert RectificationItemFlow.decide_extension.is_eligible(reviewer, rh.waiting(pending.item, "decide_extension"))
    client.force_login(reviewer)
    body = client.get(f"/rectification/items/{granted.item_id}/").content.decode()
    assert granted.old_due.isoformat() in body and "正值秋收农忙" in body

    counts = (RectificationExtension.objects.count(), RectificationRecheck.objects.count())
    demo_rectification()
    assert (RectificationExtension.objects.count(), RectificationRecheck.objects.count()) == counts
