"""Contact points and visits through their services: who may keep and record what, problems becoming rectification
items on the open cycle's assessment (refused, nothing written, where there is none), double clicks, the demo."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows.models import AuditEntry, Organisation, OversightOffice, RectificationItem, User
from flows.models.contacts import ContactPoint, Visit, VisitProblem
from flows.models.people import today
from flows.selectors import contacts as selectors
from flows.services import contacts as services
from flows.services.tasks import AlreadyHandled
from tests import factories as f

pytestmark = pytest.mark.django_db


def u(username):
    return User.objects.get(username=username)


def org(code):
    return Organisation.objects.get(code=code)


def yesterday():
    return today() - datetime.timedelta(days=1)


def next_month():
    return today() + datetime.timedelta(days=30)


def test_the_demo_has_contact_points_visits_and_gaps(demo):
    year = today().year
    assert ContactPoint.objects.filter(leader__username="dingxuejun", year=year).count() == 2
    gaps = selectors.office_gaps(OversightOffice.objects.get(code="BH-ZZB"), year)
    no_visit = {o.code for o in gaps["no_visit"]}
    no_contact = {o.code for o in gaps["no_contact"]}
    assert "JC-BH-LS-03" in no_visit and "JC-BH-LS-03" not in no_contact  # 马家沟村: a contact leader, no visit
    assert "JC-BH-LS-02" not in no_visit and "JC-BH-LS-02" not in no_contact
    qs = selectors.office_gaps(OversightOffice.objects.get(code="QS-ZZB"), year)
    assert "JC-QS-HT-02" in {o.code for o in qs["no_contact"]}
    assert "JC-QS-HT-02" not in {o.code for o in qs["no_visit"]}


def test_a_leader_keeps_contact_points_only_below_what_they_lead(demo):
    leader = u("dingxuejun")
    point = services.contact_point_add(by=leader, leader=leader, organisation=org("JC-QS-HT-04"), year=today().year)
    assert AuditEntry.objects.filter(action="contact.add", subject_id=str(point.pk)).exists()
    with pytest.raises(AlreadyHandled):
        services.contact_point_add(by=leader, leader=leader, organisation=org("JC-QS-HT-04"), year=today().year)
    for code in ("JC-QS-HT", "JC-QS-SQ-02", "JC-BH-LS-02"):  # their own committee, another township, another county
        with pytest.raises(ValidationError):
            services.contact_point_add(by=leader, leader=leader, organisation=org(code), year=today().year)
    with pytest.raises(PermissionDenied):  # nobody adds one for someone else, unless an officer over it
        services.contact_point_add(by=u("shuji"), leader=leader, organisation=org("JC-QS-HT-02"), year=today().year)
    officer = u("houhongmei")  # 青山县委组织部
    services.contact_point_add(by=officer, leader=leader, organisation=org("JC-QS-HT-02"), year=today().year)
    services.contact_point_remove(by=leader, point=point)
    with pytest.raises(AlreadyHandled):
        services.contact_point_remove(by=leader, point=point)


def _visit(by, code="JC-QS-HT-01", **kw):
    args = {
        "by": by,
        "organisation": org(code),
        "date": yesterday(),
        "kind": "supervision",
        "leaders": [by],
        "seen": "查阅会议记录",
        "problems": "",
    } | kw
    return services.visit_record(**args)


def test_problems_of_a_visit_become_rectification_items_on_the_open_cycle(demo):
    leader = u("dingxuejun")
    items_before = RectificationItem.objects.count()
    visit = _visit(
        leader,
        problems="台账不全\n\n  组织生活不规范 ",
        to_rectify=True,
        due=next_month(),
        leaders=[leader, u("fangting")],
    )
    problems = list(visit.problems.order_by("order"))
    assert [p.text for p in problems] == ["台账不全", "组织生活不规范"]
    assert RectificationItem.objects.count() == items_before + 2
    item = problems[0].item
    assert item.assessment.organisation.code == "JC-QS-HT-01" and item.owner.username == "fenguan"
    assert item.due == next_month() and item.problem == "台账不全"
    assert set(visit.leaders.values_list("username", flat=True)) == {"dingxuejun", "fangting"}
    assert AuditEntry.objects.filter(action="visit.record", subject_id=str(visit.pk)).exists()
    with pytest.raises(AlreadyHandled):  # the same form sent twice
        _visit(leader, problems="台账不全\n组织生活不规范", to_rectify=True, due=next_month())
    assert Visit.objects.filter(organisation__code="JC-QS-HT-01", date=yesterday()).count() == 1


def test_without_an_open_assessment_the_problems_are_refused_as_items_and_nothing_is_written(demo):
    leader = u("xianshuji")
    target = f.make_org(org("JC-QS-HT"), code="JC-QS-HT-NEW")  # founded after the cycle was launched
    assert services.open_assessment(target) is None
    before = (Visit.objects.count(), VisitProblem.objects.count(), RectificationItem.objects.count())
    with pytest.raises(ValidationError) as exc:
        _visit(leader, "JC-QS-HT-NEW", problems="制度不健全", to_rectify=True, due=next_month())
    assert "to_rectify" in exc.value.message_dict
    assert (Visit.objects.count(), VisitProblem.objects.count(), RectificationItem.objects.count()) == before
    visit = _visit(leader, "JC-QS-HT-NEW", problems="制度不健全")  # kept as typed, no item
    assert visit.problems.get().item is None
    with pytest.raises(ValidationError):
        services.visit_problem_rectify(by=leader, problem=visit.problems.get(), due=next_month())


def test_a_recorded_problem_becomes_an_item_later_once(demo):
    leader = u("dingxuejun")
    problem = _visit(leader, problems="发展党员程序不规范").problems.get()
    with pytest.raises(PermissionDenied):  # the village's own secretary was not on the visit
        services.visit_problem_rectify(by=u("shuji"), problem=problem, due=next_month())
    with pytest.raises(ValidationError):
        services.visit_problem_rectify(by=leader, problem=problem, due=yesterday())
    services.visit_problem_rectify(by=leader, problem=problem, due=next_month())
    problem.refresh_from_db()
    assert problem.item.problem == "发展党员程序不规范"
    with pytest.raises(AlreadyHandled):
        services.visit_problem_rectify(by=leader, problem=problem, due=next_month())


def test_a_visit_is_refused_outside_the_leaders_scope_or_with_bad_input(demo):
    leader = u("dingxuejun")
    with pytest.raises(ValidationError) as exc:
        _visit(leader, "JC-QS-SQ-02")
    assert "organisation" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # a co-leader who does not lead the organisation from above
        _visit(leader, leaders=[leader, u("huxinmin")])
    assert "leaders" in exc.value.message_dict
    with pytest.raises(PermissionDenied):  # recording someone else's visit
        _visit(u("shuji"), leaders=[leader])
    with pytest.raises(ValidationError) as exc:
        _visit(leader, date=today() + datetime.timedelta(days=2), seen=" ", kind="party")
    assert {"date", "seen", "kind"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        _visit(leader, problems="问题", to_rectify=True, due=None)
    assert "due" in exc.value.message_dict


def test_an_officer_enters_a_visit_for_leaders_in_the_scope(demo):
    visit = _visit(u("houhongmei"), leaders=[u("dingxuejun")])
    assert visit.recorded_by.username == "houhongmei"


def test_the_office_page_and_the_panel_take_a_constant_number_of_queries(demo):
    office = OversightOffice.objects.select_related("scope").get(code="QS-ZZB")
    year = today().year
    with CaptureQueriesContext(connection) as small:
        selectors.office_gaps(office, year)
        selectors.gap_counts(office, year)
    town = org("JC-QS-HT")
    for _n in range(15):
        f.make_org(town)
    with CaptureQueriesContext(connection) as big:
        gaps = selectors.office_gaps(office, year)
        counts = selectors.gap_counts(office, year)
    assert len(big) == len(small) == 2
    assert counts["no_contact"] == len(gaps["no_contact"]) and counts["no_visit"] == len(gaps["no_visit"])


def test_the_panel_is_for_the_cycle_office_only(demo):
    from flows.models import ReviewCycle

    cycle = ReviewCycle.objects.get(office__code="JC-ZZB", year=2026)
    panel = selectors.dashboard_panel(u("zuzhibu"), cycle)
    assert panel["no_contact"] > 0 and panel["year"] == 2026
    assert selectors.dashboard_panel(u("xianshuji"), cycle) is None
