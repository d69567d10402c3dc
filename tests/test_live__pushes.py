"""What a transaction tells open pages: each message once, in one call to the channel layer after the commit, and
nothing of work rolled back (a savepoint rolled back takes its own messages with it, and only those)."""

import pytest
from django.db import transaction

from flows.policy import access
from flows.services import assessments, notifications
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Every group_send, as (group, message), in order; each call of the layer counted."""
    log = []

    class Layer:
        async def group_send(self, group, message):
            log.append((group, message))

    monkeypatch.setattr(notifications, "get_channel_layer", Layer)
    return log


def test_each_message_goes_once_after_the_commit_and_a_rolled_back_savepoint_sends_nothing(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        with transaction.atomic():
            notifications.cycle_changed(7)  # the assessment saved with the draft
            notifications.inbox_changed([2, 1, None], title="审核自评")
            notifications.cycle_changed(7)  # and again by the step: one redraw is enough
            assert sent == []  # nothing before the commit
            try:
                with transaction.atomic():
                    notifications.inbox_changed([3], title="转办")
                    notifications.cycle_changed(7)
                    raise RuntimeError("this part fails")
            except RuntimeError:
                pass
            with transaction.atomic():
                notifications.inbox_changed([4])
    cycle = ("cycle.7", {"type": "cycle.changed"})
    arrived = {"type": "inbox.changed", "title": "审核自评"}
    assert sent == [cycle, ("user.1", arrived), ("user.2", arrived), ("user.4", {"type": "inbox.changed", "title": ""})]
    assert len(hooks) == 2  # one call for the outer scope, one for the savepoint that was kept


@pytest.mark.django_db(transaction=True)  # committed for real: each transaction's pushes go when it commits
def test_a_submission_tells_each_inbox_and_the_dashboards_once(sent, demo):
    """Submitting a self-assessment saves the assessment twice (the draft, then the step) and moves two tasks:
    the dashboards are told once, the drafter's and the secretary's inboxes once each."""
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = access.person_in_direct_charge(a.organisation)
    needed = a.template.indicators.filter(evidence_required=True, veto=False)
    sent.clear()
    assessments.self_assessment_draft(  # as the screen sends it: the files, the scores, the report and "submit"
        assessment=a,
        by=deputy,
        files=[(h.pdf(f"{i.code}.pdf"), "application/pdf", i) for i in needed],
        scores=h.full_self_scores(a),
        report="述职报告：……",
        submit=True,
    )
    secretary = a.process.task_set.get(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"]).owner
    assert secretary != deputy
    assert sorted(group for group, _message in sent) == sorted(
        [f"cycle.{cycle.pk}", f"user.{deputy.pk}", f"user.{secretary.pk}"]
    )
    told = dict(sent)
    assert "审核自评" in told[f"user.{secretary.pk}"]["title"] and told[f"user.{deputy.pk}"]["title"] == ""
