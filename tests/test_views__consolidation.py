"""The consolidation screens (issue 20) as each role sees them: the office above designates with the criteria, draws
up the plan, adds milestones, puts it in force, records the acceptance check and lifts; the organisation's secretary
reports progress (on the page and in the milestone's task); the responsible leader sees it all and changes nothing;
everyone else gets the same 404 as for nothing. Bad input keeps what was typed; a double click says "already
handled"."""

import datetime

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task

from flows.models import ConsolidationPlan, Organisation, Role, RoleAssignment, User, WeakAndLaxPeriod
from flows.models.people import today
from flows.models.states import ConsolidationState, MilestoneState
from flows.selectors.tasks import task_url
from flows.services import classifications as cls
from flows.services import consolidation as svc

pytestmark = pytest.mark.django_db

CODE = "JC-QS-HT-01"  # 东坪村: secretary `shuji`, party member `dangyuan`


def user(name):
    return User.objects.get(username=name)


@pytest.fixture
def period(demo):
    org = Organisation.objects.get(code=CODE)
    return cls.weak_and_lax_designate(
        organisation=org,
        start=today() - datetime.timedelta(days=30),
        reason="班子不团结",
        criteria=["leadership_divided"],
        by=user("zuzhibu"),
    )


@pytest.fixture
def plan(period):
    p = svc.plan_save(period=period, measures="调整班子", leader=user("liyonggang"), by=user("zuzhibu"))
    svc.milestone_add(plan=p, title="班子调整到位", due=today() + datetime.timedelta(days=10), by=user("zuzhibu"))
    svc.plan_start(plan=p, by=user("zuzhibu"))
    return p


def test_designation_with_criteria_through_the_screen(client, demo):
    org = Organisation.objects.get(code=CODE)
    url = reverse("consolidation_designate", kwargs={"code": CODE})
    for wrong in ("shuji", "xianshuji", "jiguan", "dangyuan"):
        client.force_login(user(wrong))
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {"start": today().isoformat(), "reason": "x", "criteria": ["org_life"]}).status_code == 404
        )
    client.force_login(user("zuzhibu"))
    response = client.post(url, {"start": today().isoformat(), "reason": "三会一课长期不落实"})
    assert response.status_code == 400 and "三会一课长期不落实" in response.content.decode()  # kept
    assert not WeakAndLaxPeriod.objects.filter(organisation=org).exists()
    response = client.post(
        url, {"start": today().isoformat(), "reason": "三会一课长期不落实", "criteria": ["org_life", "members_lax"]}
    )
    period = WeakAndLaxPeriod.objects.get(organisation=org)
    assert response.status_code == 302 and response["Location"] == reverse("consolidation_period", args=[period.pk])
    assert period.criteria.count() == 2 and period.designated_by.username == "zuzhibu"


def test_who_sees_the_period_page(client, plan):
    url = reverse("consolidation_period", args=[plan.period_id])
    for right in ("zuzhibu", "lvminghui", "shuji", "xianshuji", "liyonggang"):  # offices, secretary, leaders
        client.force_login(user(right))
        assert client.get(url).status_code == 200, right
    for wrong in ("dangyuan", "jiguan", "sunjie", "fenguan_elsewhere"):
        if not User.objects.filter(username=wrong).exists():
            continue
        client.force_login(user(wrong))
        assert client.get(url).status_code == 404, wrong
        assert client.get(reverse("consolidation_periods", kwargs={"code": CODE})).status_code == 404, wrong
    client.force_login(user("zuzhibu"))
    body = client.get(url).content.decode()
    assert "调整班子" in body and "班子调整到位" in body and 'id="acceptance-form"' in body
    client.force_login(user("liyonggang"))  # the responsible leader: sees, no forms
    body = client.get(url).content.decode()
    assert "班子调整到位" in body and "acceptance-form" not in body and "plan-form" not in body


def test_office_actions_refuse_everyone_but_the_office_above(client, plan):
    pk = plan.period_id
    posts = {
        "consolidation_plan": {"measures": "x", "leader": user("shuji").pk},
        "consolidation_milestone_add": {"title": "x", "due": today().isoformat()},
        "consolidation_start": {},
        "consolidation_acceptance": {"passed": "yes", "on": today().isoformat()},
        "consolidation_lift": {"end": today().isoformat(), "reason": "x"},
    }
    for wrong in ("shuji", "liyonggang", "xianshuji", "jiguan", "dangyuan"):
        client.force_login(user(wrong))
        for name, data in posts.items():
            assert client.post(reverse(name, args=[pk]), data).status_code == 404, (wrong, name)
    plan.refresh_from_db()
    assert plan.state == ConsolidationState.UNDER_WAY and plan.measures == "调整班子"
    assert plan.milestones.count() == 1


def test_progress_only_by_the_secretary(client, plan):
    m = plan.milestones.get()
    url = reverse("consolidation_progress", args=[m.pk])
    for wrong in ("zuzhibu", "liyonggang", "sunjie", "dangyuan", "fenguan"):
        client.force_login(user(wrong))
        assert client.post(url, {"text": "x", "completes": "on"}).status_code == 404, wrong
    client.force_login(user("shuji"))
    response = client.post(url, {"text": ""})
    assert response.status_code == 400
    assert client.post(url, {"text": "班子已调整"}).status_code == 302
    assert client.post(url, {"text": "完成", "completes": "on"}).status_code == 302
    m.refresh_from_db()
    assert m.state == MilestoneState.DONE and m.reports.count() == 2
    assert client.post(url, {"text": "again", "completes": "on"}).status_code == 409  # double click


def test_the_milestone_task_in_my_tasks(client, plan):
    task = Task.objects.get(process__consolidation_milestone__plan=plan, flow_task_type="HUMAN")
    url = task_url(task)
    for wrong in ("zuzhibu", "liyonggang", "dangyuan", "sunjie"):
        client.force_login(user(wrong))
        assert client.get(url).status_code == 404, wrong
    secretary = RoleAssignment.objects.current().get(organisation__code=CODE, role=Role.SECRETARY).user
    client.force_login(secretary)
    assert url in client.get(reverse("home")).content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "进展顺利"})  # progress only: the task stays
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status != "DONE"
    response = client.post(url, {"text": "已完成", "completes": "on"})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == "DONE"
    assert client.post(url, {"text": "x", "completes": "on"}).status_code in (404, 409)


def test_acceptance_and_lifting_through_the_screens(client, plan):
    pk = plan.period_id
    client.force_login(user("zuzhibu"))
    # not passed without reasons: refused, what was typed kept
    response = client.post(reverse("consolidation_acceptance", args=[pk]), {"passed": "no", "on": "2026-13-01"})
    assert response.status_code == 400
    response = client.post(reverse("consolidation_acceptance", args=[pk]), {"passed": "no", "on": today().isoformat()})
    assert response.status_code == 400
    # lifting before any check: the form is not even offered, and the POST is refused
    response = client.post(reverse("consolidation_lift", args=[pk]), {"end": today().isoformat(), "reason": "整顿到位"})
    assert response.status_code == 400 and "整顿到位" in response.content.decode()
    assert WeakAndLaxPeriod.objects.get(pk=pk).end is None
    svc.progress_report(milestone=plan.milestones.get(), text="完成", completes=True, by=user("shuji"))
    response = client.post(
        reverse("consolidation_acceptance", args=[pk]), {"passed": "yes", "on": today().isoformat(), "reasons": "合格"}
    )
    assert response.status_code == 302
    assert ConsolidationPlan.objects.get(pk=plan.pk).state == ConsolidationState.ACCEPTED
    assert 'id="lift-form"' in client.get(reverse("consolidation_period", args=[pk])).content.decode()
    response = client.post(reverse("consolidation_lift", args=[pk]), {"end": today().isoformat(), "reason": "销号"})
    assert response.status_code == 302
    assert not Organisation.objects.get(code=CODE).weak_and_lax
    response = client.post(reverse("consolidation_lift", args=[pk]), {"end": today().isoformat(), "reason": "销号"})
    assert response.status_code == 409  # double click


def test_plan_form_keeps_what_was_typed(client, period):
    client.force_login(user("zuzhibu"))
    url = reverse("consolidation_plan", args=[period.pk])
    response = client.post(url, {"measures": "驻村帮扶三个月"})  # no leader
    assert response.status_code == 400 and "驻村帮扶三个月" in response.content.decode()
    assert not ConsolidationPlan.objects.filter(period=period).exists()
    response = client.post(url, {"measures": "驻村帮扶三个月", "leader": user("xianshuji").pk})
    assert response.status_code == 302
    start = reverse("consolidation_start", args=[period.pk])
    response = client.post(start)
    assert response.status_code == 400  # no milestone yet
    client.post(
        reverse("consolidation_milestone_add", args=[period.pk]),
        {"title": "第一阶段", "due": (today() + datetime.timedelta(days=5)).isoformat()},
    )
    assert client.post(start).status_code == 302
    assert client.post(start).status_code == 409  # double click: already handled


def test_the_indicator_shows_what_the_consolidation_gives(client, demo):
    from tests import cycle_helpers as h

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    task = Task.objects.filter(process=a.process, flow_task_type="HUMAN", status__in=svc.OPEN).get()
    client.force_login(task.owner)
    body = client.get(task_url(task)).content.decode()
    assert "软弱涣散党组织整顿" in body  # the village template's indicator, read from the consolidation
    assert 'data-consolidation="not_listed"' in body
    cls.weak_and_lax_designate(
        organisation=a.organisation, start=today(), reason="x", criteria=["org_life"], by=user("zuzhibu")
    )
    body = client.get(task_url(task)).content.decode()
    assert 'data-consolidation="not_accepted"' in body
