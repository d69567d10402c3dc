"""Results publication (公示) and objections (异议): publish for five working days, object by name while it runs,
and the office's decision, a changed rating keeping its old value and the reason."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows import selectors
from flows.domain import calendar
from flows.flows import ObjectionFlow
from flows.models import AuditEntry, ObjectionState, Outcome, Publication, Rating, User
from flows.services import publications as svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(demo):
    """The county's cycle with 东坪村 reviewed and rated fairly good."""
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    h.review(a, fraction=Decimal("0.85"), outcome=Outcome.NONE)
    a.refresh_from_db()
    assert a.rating == Rating.FAIRLY_GOOD
    h.settle(cycle)
    return cycle, a


def test_the_office_publishes_for_five_working_days_once(rated):
    cycle, _a = rated
    officer = h.county_officer()
    with pytest.raises(PermissionDenied):
        svc.publication_open(by=User.objects.get(username="xianshuji"), cycle=cycle)
    pub = svc.publication_open(by=officer, cycle=cycle, note="如有异议，请于公示期内反映。")
    assert pub.starts == datetime.date.today()
    assert calendar.working_days_between(pub.starts, pub.ends) + calendar.is_working_day(pub.starts) in (5, 4)
    assert pub.ends == calendar.add_working_days(pub.starts, 4, calendar.local_exceptions(cycle.office_id))
    assert [a.organisation.code for a in svc.published_ratings(pub)] == [h.VILLAGE]
    with pytest.raises(AlreadyHandled):
        svc.publication_open(by=officer, cycle=cycle)


def test_nothing_rated_nothing_published(demo):
    cycle = h.open_cycle()
    with pytest.raises(ValidationError):
        svc.publication_open(by=h.county_officer(), cycle=cycle)
    assert not Publication.objects.filter(cycle=cycle).exists()


def test_an_objection_goes_to_the_office_and_an_upheld_one_changes_the_rating_keeping_the_old(rated):
    cycle, a = rated
    officer = h.county_officer()
    pub = svc.publication_open(by=officer, cycle=cycle)
    party_member = User.objects.get(username="dangyuan")
    with pytest.raises(ValidationError):
        svc.objection_raise(by=party_member, publication=pub, assessment=a, reason="  ")
    objection = svc.objection_raise(
        by=party_member, publication=pub, assessment=a, reason="支部今年有两个季度未召开党员大会，评定偏高。"
    )
    with pytest.raises(ValidationError):  # one objection of one person to one rating at a time
        svc.objection_raise(by=party_member, publication=pub, assessment=a, reason="再次反映")
    [task] = Task.objects.filter(process=objection.process, status=STATUS.NEW)
    assert task.flow_task == ObjectionFlow.decide
    assert task in [r["task"] for r in selectors.queue(officer)]
    assert task not in [r["task"] for r in selectors.queue(User.objects.get(username="zuzhibu"))]  # not their cycle

    with pytest.raises(PermissionDenied):
        svc.objection_decide(objection=objection, by=User.objects.get(username="zuzhibu"), uphold=False, response="x")
    with pytest.raises(ValidationError):
        svc.objection_decide(objection=objection, by=officer, uphold=True, response="经核实属实", new_rating="")
    svc.objection_decide(objection=objection, by=officer, uphold=True, response="经核实属实", new_rating=Rating.AVERAGE)
    a.refresh_from_db()
    objection.refresh_from_db()
    assert a.rating == Rating.AVERAGE
    assert (objection.state, objection.rating_before, objection.rating_after) == (
        ObjectionState.UPHELD,
        Rating.FAIRLY_GOOD,
        Rating.AVERAGE,
    )
    entry = AuditEntry.objects.get(action="assessment.rating_changed_on_objection", subject_id=str(a.pk))
    assert (entry.from_value, entry.to_value, entry.comment, entry.actor) == (
        "fairly_good",
        "average",
        "经核实属实",
        officer,
    )
    history = selectors.assessment_history(a)
    assert any(row.label == "异议后变更评定等次" and row.value_label == "一般" for row in history)
    with pytest.raises(AlreadyHandled):
        svc.objection_decide(objection=objection, by=officer, uphold=False, response="重复点击")


def test_a_dismissal_needs_a_response_and_keeps_the_rating(rated):
    cycle, a = rated
    officer = h.county_officer()
    pub = svc.publication_open(by=officer, cycle=cycle)
    objection = svc.objection_raise(by=User.objects.get(username="shuji"), publication=pub, assessment=a, reason="偏低")
    with pytest.raises(ValidationError):
        svc.objection_decide(objection=objection, by=officer, uphold=False, response="")
    svc.objection_decide(objection=objection, by=officer, uphold=False, response="评定符合考核细则")
    a.refresh_from_db()
    assert a.rating == Rating.FAIRLY_GOOD
    objection.refresh_from_db()
    assert objection.state == ObjectionState.DISMISSED and objection.response == "评定符合考核细则"


def test_objections_close_with_the_publication_period(rated):
    cycle, a = rated
    pub = svc.publication_open(by=h.county_officer(), cycle=cycle)
    Publication.objects.filter(pk=pub.pk).update(
        starts=datetime.date.today() - datetime.timedelta(days=20),
        ends=datetime.date.today() - datetime.timedelta(days=1),
    )
    pub.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        svc.objection_raise(by=User.objects.get(username="shuji"), publication=pub, assessment=a, reason="迟到的异议")
    assert "不再受理" in " ".join(exc.value.messages)


def test_on_screen_publish_object_and_decide(client, rated):
    cycle, a = rated
    officer = h.county_officer()
    client.force_login(officer)
    response = client.post(reverse("publication_open", args=[cycle.pk]), {"working_days": "5", "note": "公示"})
    pub = Publication.objects.get(cycle=cycle)
    assert response["Location"] == reverse("publication_detail", args=[pub.pk])

    client.force_login(User.objects.get(username="dangyuan"))
    page = client.get(reverse("publication_detail", args=[pub.pk])).content.decode()
    assert "东坪村" in page and "较好" in page
    bad = client.post(reverse("publication_detail", args=[pub.pk]), {"assessment": a.pk, "reason": ""})
    assert bad.status_code == 400
    foreign = client.post(reverse("publication_detail", args=[pub.pk]), {"assessment": 999999, "reason": "x"})
    assert foreign.status_code == 404
    client.post(reverse("publication_detail", args=[pub.pk]), {"assessment": a.pk, "reason": "评定偏高"})
    objection = a.objections.get()

    client.force_login(officer)
    task = Task.objects.get(process=objection.process, status=STATUS.NEW)
    url = selectors.task_url(task)
    assert "评定偏高" in client.get(url).content.decode()
    response = client.post(url, {"decision": "uphold", "new_rating": "average", "response": "属实"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.rating == Rating.AVERAGE
    page = client.get(reverse("assessment_detail", args=[a.pk])).content.decode()
    assert "异议后变更评定等次" in page and "属实" in page
