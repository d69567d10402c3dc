"""Every hand-off is a notification (issue 18): a task given to someone by someone else — the next step of the
flow, work sent back, a task passed on — reaches them in 通知; a task one takes oneself notifies nobody; a
decision on someone's work tells them; a report made again goes back to the reviewer who returned it."""

from decimal import Decimal

import pytest
from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import Notification, Outcome, Role, User
from flows.services import assessments as svc
from flows.services.handoffs import acting_as
from flows.services.reassignment import task_pass_on
from flows.services.tasks import tasks_claim
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def titles(user):
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


def as_request_of(user, fn, *args, **kwargs):
    """Run a step as the web request of `user` runs it (the middleware says who is acting)."""
    with acting_as(user.pk):
        return fn(*args, **kwargs)


def test_submitting_returning_and_passing_on_notify_the_new_holder_only(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    with acting_as(deputy.pk):
        h.do_self_assessment(a)
    assert [t for t in titles(secretary) if "审核自评" in t and "东坪村" in t]
    assert not titles(deputy)  # the drafter took nothing new

    as_request_of(secretary, svc.self_assessment_decide, assessment=a, by=secretary, approve=False, comment="补充材料")
    [back] = titles(deputy)
    assert "自评" in back and "东坪村" in back
    link = Notification.objects.get(user=deputy).link
    assert link.startswith("/flow/")

    # the mass-evaluation close waits in the pool: claiming it oneself tells nobody; passing it on tells the colleague
    with acting_as(deputy.pk):
        svc.self_assessment_submit(assessment=a, by=deputy)
    as_request_of(secretary, svc.self_assessment_decide, assessment=a, by=secretary, approve=True)
    officers = [m.user for m in cycle.office.members.filter(role="officer").order_by("pk")]
    task = Task.objects.get(process=a.process, status=STATUS.NEW, owner__isnull=True)
    before = Notification.objects.filter(user=officers[0]).count()
    assert as_request_of(officers[0], tasks_claim, by=officers[0], task_ids=[task.pk]) == 1
    assert Notification.objects.filter(user=officers[0]).count() == before
    with transaction.atomic(), acting_as(officers[0].pk):
        task_pass_on(by=officers[0], task=Task.objects.get(pk=task.pk), to=officers[1], reason="由他跟进")
    assert any("结束群众评议" in t for t in titles(officers[1]))


def test_a_report_made_again_goes_back_to_the_reviewer_who_returned_it_and_verification_is_notified(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    h.review(
        a,
        fraction=Decimal("0.6"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[{"problem": "三会一课记录不全", "requirement": "", "owner": deputy, "due": h.next_week()}],
    )
    item = a.rectification_items.get()
    assert any("三会一课记录不全" in t for t in titles(deputy))  # the new item's report task
    svc.rectification_report(item=item, by=deputy, report="已补齐")
    reviewer = h.reviewer_of(a)
    task = Task.objects.get(process=item.process, status=STATUS.NEW)
    assert task.owner_id is None  # a first report waits in the reviewers' pool
    tasks_claim(by=reviewer, task_ids=[task.pk])
    as_request_of(reviewer, svc.rectification_verify, item=item, by=reviewer, verified=False, comment="缺少会议记录")
    svc.rectification_report(item=item, by=deputy, report="已补齐会议记录")
    again = Task.objects.get(process=item.process, status__in=[STATUS.NEW, STATUS.ASSIGNED])
    assert again.owner_id == reviewer.pk  # straight back to the same reviewer
    assert any("验收整改事项" in t for t in titles(reviewer))
    as_request_of(reviewer, svc.rectification_verify, item=item, by=reviewer, verified=True)
    assert any("整改事项已验收" in t and "三会一课" in t for t in titles(deputy))


def test_the_notification_centre_lists_them_in_chinese(client, demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    client.force_login(User.objects.get(pk=secretary.pk))
    page = client.get("/notifications/").content.decode()
    assert "新待办：审核自评" in page


def test_the_live_counts_include_what_waits_in_the_pool(client, demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)  # the mass-evaluation close waits for the county's officers
    officer = h.county_officer()
    client.force_login(officer)
    counts = client.get("/tasks/live.json").json()
    assert counts["to_claim"] >= 1
    client.force_login(User.objects.get(username="dangyuan"))
    assert client.get("/tasks/live.json").json()["to_claim"] == 0
    page = client.get("/").content.decode()
    assert "data-queue-count" in page


def test_a_notification_of_a_task_passed_on_since_says_where_it_went(client, demo):
    """An officer told of a task (新待办) that a colleague has since been given opens the notification's link: the
    page says who has it now, instead of 页面不存在; someone never told of it still gets 页面不存在."""
    from flows.selectors import task_url

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    officers = [m.user for m in cycle.office.members.filter(role="officer").order_by("pk")]
    task = Task.objects.get(process=a.process, status=STATUS.NEW, owner__isnull=True)
    url = task_url(task)
    Notification.objects.create(user=officers[0], title="新待办：结束群众评议", link=url)
    with transaction.atomic(), acting_as(officers[0].pk):
        tasks_claim(by=officers[0], task_ids=[task.pk])
        task_pass_on(by=officers[0], task=Task.objects.get(pk=task.pk), to=officers[1], reason="由他跟进")
    client.force_login(officers[0])
    response = client.get(url)
    assert response.status_code == 409
    assert f"已转给{officers[1].real_name}" in response.content.decode()
    client.force_login(h.holder(h.VILLAGE, Role.SECRETARY))  # never told of it
    assert client.get(url).status_code == 404
