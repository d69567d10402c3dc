"""The demo city is realistic, complete and idempotent to load."""

import pytest
from django.db.models import Count

from flows.models import (
    AuditEntry,
    Guidance,
    OfficeMembership,
    Organisation,
    Regime,
    Role,
    RoleAssignment,
    Sector,
    User,
)
from flows.services.demo import demo_load, demo_logins

pytestmark = pytest.mark.django_db


def test_loading_twice_adds_nothing(demo):
    counts = [m.objects.count() for m in (Organisation, User, RoleAssignment, OfficeMembership, Guidance, AuditEntry)]
    report = demo_load()
    assert report.total_created == 0
    assert counts == [
        m.objects.count() for m in (Organisation, User, RoleAssignment, OfficeMembership, Guidance, AuditEntry)
    ]


def test_the_city_is_big_and_varied_enough(demo):
    assert Organisation.objects.count() >= 40
    assert User.objects.exclude(username="admin").count() >= 120
    sectors = set(Organisation.objects.values_list("sector", flat=True))
    assert {
        Sector.VILLAGE,
        Sector.COMMUNITY,
        Sector.AGENCY,
        Sector.STATE_ENTERPRISE,
        Sector.SCHOOL,
        Sector.HOSPITAL,
        Sector.NON_PUBLIC,
    } <= sectors
    assert Organisation.objects.filter(regime=Regime.DUAL).exists()
    assert Organisation.objects.filter(kind="joint_branch").exists()
    assert Organisation.objects.filter(weak_and_lax=True).exists()
    assert Guidance.objects.exists()


def test_every_organisation_has_a_secretary_and_someone_in_direct_charge_staffed_as_real_ones_are(demo):
    from flows.policy import access

    orgs = list(Organisation.objects.values_list("pk", flat=True))
    secretaries = dict(
        RoleAssignment.objects.current().filter(role=Role.SECRETARY).values_list("organisation").annotate(n=Count("pk"))
    )
    assert all(secretaries.get(pk) == 1 for pk in orgs)  # one at a time (an acting one where the post is vacant)
    in_charge = access.in_direct_charge_ids(orgs)
    assert set(in_charge) == set(orgs)
    deputies = set(RoleAssignment.objects.current().filter(role=Role.DEPUTY).values_list("organisation", flat=True))
    only_a_secretary = Organisation.objects.exclude(pk__in=deputies).values_list("code", flat=True)
    assert {"JC-BH-CG-03", "JC-BH-CG-04"} <= set(only_a_secretary)
    acting = RoleAssignment.objects.current().get(acting=True)
    assert (acting.organisation.code, acting.role, acting.user.username) == (
        "JC-BH-CG-02",
        Role.SECRETARY,
        "xionghongxia",
    )


def test_the_staffing_logins_find_their_work(demo):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("demo_logins", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines() if line.startswith("  ") and line.split()}
    for username in ("sunjie", "xionghongxia", "wangxinyu", "houhongmei"):
        assert "[待办 1]" in lines[username], username
    out = StringIO()
    call_command("check_stalls", stdout=out)  # exits 0: nothing in the demo is stuck
    assert "卡住的待办：0" in out.getvalue()


def test_every_person_has_a_chinese_name(demo):
    for name in User.objects.values_list("real_name", flat=True):
        assert name and all("\u4e00" <= ch <= "\u9fff" for ch in name), name


def test_some_people_changed_jobs_mid_year(demo):
    assert RoleAssignment.objects.filter(end__isnull=False).count() >= 3


def test_the_printed_demo_logins_cover_every_role_and_all_work(client, demo, settings):
    logins = demo_logins()
    described = " ".join(" ".join(held) for _u, held in logins)
    for label in ("书记", "分管领导", "督导干部", "督查员", "党员"):
        assert label in described
    for user, _held in logins:
        assert client.login(username=user.username, password=settings.DEMO_PASSWORD), user.username
        assert client.get("/").status_code == 200
        client.logout()


def test_the_printed_logins_say_what_waits_and_how_to_walk_a_village_through_its_year(demo):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ") and line.split()}
    # the person in direct charge and the township secretary each find a task waiting, and are told so
    assert "[待办 1]" in lines["fenguan"] and "[待办" in lines["dingxuejun"]
    assert "[待办" not in lines["dangyuan"]  # a plain member has nothing to do
    # the walk-through names printed logins, in the order the year goes
    steps = [line.split()[1] for line in text.splitlines() if line.strip()[:2] in ("1.", "2.", "3.", "4.")]
    assert steps == ["fenguan", "shuji", "zuzhibu", "dingxuejun"]
    printed = {user.username for user, _held in demo_logins()}
    assert set(steps) <= printed


def test_a_township_held_its_report_and_review_meeting_and_the_countys_is_coming_up(demo):
    """述职评议会 (issue 19): 河塘镇's meeting of its five village (and community) secretaries is finished, each
    with a result of their own; the county's meeting of its township secretaries is coming up, a report still due."""
    import datetime

    from viewflow.workflow.models import Task

    from flows.models import (
        Ballot,
        MeetingState,
        PersonResult,
        PersonResultSource,
        RectificationItem,
        ReportMeeting,
        ReviewCycle,
    )
    from flows.selectors.holders import OPEN_STATUSES

    cycle = ReviewCycle.objects.get(office__code="JC-ZZB", year=2026)
    done = ReportMeeting.objects.select_related("office", "campaign").get(cycle=cycle, holder__code="JC-QS-HT")
    assert (done.state, done.date, done.office.code) == (MeetingState.CONFIRMED, datetime.date(2026, 12, 1), "HT-DJB")
    reporters = list(done.reporters.select_related("person", "organisation", "commenter").order_by("order"))
    assert sorted(r.organisation.code for r in reporters) == [f"JC-QS-HT-0{n}" for n in range(1, 6)]
    assert all(r.report_submitted_at and r.commented_at and r.commenter.username == "dingxuejun" for r in reporters)
    # voted on phones in two groups, one reporter's paper count typed by one officer and confirmed by the other
    assert done.campaign.state == "closed"
    assert set(done.campaign.tokens.values_list("group", flat=True)) == {"镇党委委员", "党员和群众代表"}
    assert Ballot.objects.filter(campaign=done.campaign).count() >= 10
    (paper,) = [r for r in reporters if r.paper_counts]
    assert paper.paper_confirmed_by_id and paper.paper_confirmed_by_id != paper.paper_entered_by_id
    assert all(r.appraisal_score is not None for r in reporters)
    results = PersonResult.objects.filter(reporter__meeting=done)
    assert results.count() == 5 and {r.source for r in results} == {PersonResultSource.MEETING}
    assert {r.person_id for r in results} == {r.person_id for r in reporters}
    assert len({r.rating for r in results}) >= 2  # a spread, not everyone 好
    # the problems pointed out became rectification items owned by that secretary
    (pointed,) = [r for r in reporters if r.problems]
    problems, items = pointed.problems.splitlines(), RectificationItem.objects.filter(owner=pointed.person)
    assert len(problems) == 2 and sorted(i.problem for i in items) == sorted(problems)
    assert all(i.process_id and i.due == pointed.problems_due for i in items)
    processes = [done.process_id] + [p for r in reporters for p in (r.process_id, r.comment_process_id)]
    assert not Task.objects.filter(process_id__in=processes, status__in=OPEN_STATUSES).exists()  # nothing left over

    coming = ReportMeeting.objects.select_related("office").get(cycle=cycle, holder__code="JC-QS")
    assert (coming.state, coming.date, coming.office.code) == (
        MeetingState.PREPARED,
        datetime.date(2026, 12, 18),
        "QS-ZZB",
    )
    assert coming.reporters.count() == 3 and coming.reporters.filter(report_submitted_at__isnull=False).count() == 1
    # 开发区's joint branch secretary is excused (away on county business): no report and no task is waited for
    excused = coming.reporters.select_related("person").get(excused_at__isnull=False)
    assert excused.person.username == "wangli" and "请假" in excused.excused_reason
    assert not Task.objects.filter(process=excused.process, status__in=OPEN_STATUSES).exists()
    due = coming.reporters.select_related("person").get(report_submitted_at__isnull=True, excused_at__isnull=True)
    assert due.person.username == "dingxuejun"  # the township secretary, a printed login
    waiting = Task.objects.filter(owner=due.person, status__in=OPEN_STATUSES)
    assert "提交述职报告" in {str(t.flow_task.task_title) for t in waiting}
    assert coming.reporters.filter(report_received_at__isnull=False).count() == 1  # the office has the one in


def test_a_second_demo_cycle_adds_no_meeting_ballot_result_or_task(demo):
    from viewflow.workflow.models import Task

    from flows.models import Ballot, MeetingReporter, PersonResult, RectificationItem, ReportMeeting, VoterToken
    from flows.services.demo import demo_cycle

    models = (ReportMeeting, MeetingReporter, PersonResult, Ballot, VoterToken, RectificationItem, Task, AuditEntry)
    before = [m.objects.count() for m in models]
    assert demo_cycle() is None
    assert [m.objects.count() for m in models] == before


def test_the_printed_logins_show_where_the_meetings_are(demo):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ") and line.split()}
    assert "述职评议" in lines["lvminghui"] and "河塘镇委员会党建工作办公室" in lines["lvminghui"]
    walk = [line for line in text.splitlines() if line.strip()[:2].rstrip(".").isdigit()]
    assert any("lvminghui" in line and "述职评议" in line for line in walk)
    assert any("dingxuejun" in line and "提交述职报告" in line for line in walk)
