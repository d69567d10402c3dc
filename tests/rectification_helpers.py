"""Shared steps for the rectification tests (issue 20): a village reviewed with one rectification item."""

import datetime
from decimal import Decimal

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import Outcome, Role
from flows.services import assessments as svc
from tests import cycle_helpers as h


def item_under_rectification(*, problem="三会一课记录不全", cycle=None, **cycle_extra):
    """A village of a fresh county cycle reviewed 一般 with one item owned by its leader in charge."""
    cycle = cycle or h.open_cycle(**cycle_extra)
    a = h.through_to_review(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    h.review(
        a,
        fraction=Decimal("0.65"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[{"problem": problem, "requirement": "补齐记录", "owner": deputy, "due": h.next_week()}],
    )
    return a.rectification_items.get()


def waiting(item, name):
    """The open task of node `name` of the item's flow (None if there is none)."""
    from flows.flows import RectificationItemFlow

    node = getattr(RectificationItemFlow, name)
    return (
        Task.objects.filter(process=item.process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])
        .order_by("-pk")
        .first()
    )


def report_and_verify(item):
    svc.rectification_report(item=item, by=item.owner, report="已补齐近一年的三会一课记录")
    reviewer = h.reviewer_of(item.assessment)
    svc.rectification_verify(item=item, by=reviewer, verified=True)
    item.refresh_from_db()
    return reviewer


def later(item, days=30):
    return item.due + datetime.timedelta(days=days)


def ctx_item(c):
    """A rectification item on the access tests' assessment (made once per test context)."""
    from flows.models import RectificationItem

    if "rectification_item" not in c:
        c["rectification_item"] = RectificationItem.objects.create(
            assessment=c["assessment"],
            problem="党员发展台账不全",
            owner=h.holder(h.VILLAGE, Role.DEPUTY),
            due=h.next_week(),
            created_by=h.county_officer(),
        )
    return c["rectification_item"]
