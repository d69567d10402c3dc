"""The task lists read what each flow registered (`flows.flow_registry.InboxEntry`) and ask each node who may take
its task, so that a new flow or step touches its flow, its service and its screen, never the inbox, pool or search.

The proof: every flow registers an entry whose paths lead, from its subject, to an assessment, rectification item
or inspection; every human step names a rule of the permission table; and with a task of every flow open, my tasks
(raw SQL built from the entries) and the pool and archive (the ORM, from the same entries) say the same of each
task, and the pool lists for every user exactly the tasks the node finds them eligible for."""

import datetime
from decimal import Decimal

import pytest
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from flows import flow_registry, nodes
from flows.flow_registry import InboxEntry, human_nodes, inbox_entry, registered_flows
from flows.flows import (
    FLOWS,
    AssessmentFlow,
    ConsolidationMilestoneFlow,
    DutyListFlow,
    GuidanceCommentFlow,
    InspectionFlow,
    MeetingCommentFlow,
    MeetingReportFlow,
    ObjectionFlow,
    OverdueRectificationFlow,
    RatingSettlementFlow,
    RectificationItemFlow,
    ReportMeetingFlow,
)
from flows.models import (
    AccountabilityReferral,
    Assessment,
    Inspection,
    Organisation,
    Outcome,
    RatingSettlement,
    RectificationItem,
    ReviewCycle,
    Role,
    User,
)
from flows.policy.steps import STEPS
from flows.selectors import archive, queue, task_inspection, task_subject
from flows.selectors.inbox import Filters, my_tasks_page, stage_refs
from flows.selectors.tasks import _task_rows
from flows.services import assessments as svc
from flows.services import meetings as meeting_svc
from flows.services import publications as pub_svc
from flows.services.organisations import guidance_add
from flows.services.tasks import flow_start
from tests import cycle_helpers as h
from tests import meeting_helpers as mh
from tests import spotcheck_helpers as sh

KINDS = {"assessment": Assessment, "item": RectificationItem, "inspection": Inspection}


def _model_at(path: str):
    """The model an ORM path from the process leads to (raises if a step is not a relation)."""
    model = Process
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def test_every_flow_registers_what_its_tasks_are_about():
    assert set(registered_flows()) == set(FLOWS)
    for flow in registered_flows():
        entry = inbox_entry(flow)
        assert isinstance(entry, InboxEntry) and entry is flow.inbox, flow.__name__
        # something within an assessment, an inspection or a cycle, or (a consolidation) an organisation alone
        assert entry.assessment or entry.inspection or entry.cycle_of or entry.about, f"{flow.__name__}: about what"
        for kind, model in KINDS.items():
            path = getattr(entry, kind)
            if path:
                assert path.split("__")[0] == flow.subject, (flow.__name__, path)
                assert _model_at(path) is model, (flow.__name__, kind, path)
        if entry.cycle_of:  # a task about a whole cycle (or a meeting within it): its cycle and the office running it
            assert _model_at(entry.context) is ReviewCycle
            assert not entry.organisation or _model_at(entry.organisation) is Organisation
        else:
            assert _model_at(entry.organisation) is Organisation
        assert _model_at(entry.office)._meta.model_name == "oversightoffice"


def test_every_human_step_names_a_rule_of_the_permission_table():
    for flow in registered_flows():
        humans = human_nodes(flow)
        assert humans == [n for n in flow.instance.nodes() if isinstance(n, nodes.Task)], flow.__name__
        for node in humans:
            assert node.step and STEPS.rule_exists(node.step), f"{flow.__name__}.{node.name}: {node.step!r}"
            assert node.flow_class is flow


def test_a_flow_without_its_entry_or_with_a_path_off_its_subject_is_refused():
    class Bare:
        subject = "assessment"

    with pytest.raises(TypeError):
        flow_registry.flows_register(Bare)

    class Astray:
        subject = "objection"
        inbox = InboxEntry(assessment="assessment")

    with pytest.raises(ValueError, match="does not start at the subject"):
        flow_registry.flows_register(Astray)
    assert Bare not in registered_flows() and Astray not in registered_flows()


def test_the_step_filter_finds_a_step_in_every_flow_that_has_it():
    assert stage_refs("decide") == [
        "flows/flows.OverdueRectificationFlow.decide",
        "flows/flows.ObjectionFlow.decide",
    ]
    assert stage_refs("decide_extension") == ["flows/flows.RectificationItemFlow.decide_extension"]
    assert stage_refs("start") == [] and stage_refs("nothing") == []


# ---- a task of every flow ------------------------------------------------------------------------------------


@pytest.fixture
def every_flow(db, demo):
    """One open task (at least) of every flow, most of them waiting in a pool: a mass evaluation to close, a
    review by an office, a guidance comment, an extension to decide, a report to verify, an overdue item referred
    to the office, an objection to a published rating, a spot check's findings to decide. Returns, per flow, the
    task and what it is about: (assessment, item, inspection)."""
    village = Organisation.objects.get(code=h.VILLAGE)
    guidance_add(by=None, organisation=village, guide=Organisation.objects.get(code="JC-QS-JGGW"))
    cycle = h.open_cycle(sectors=("village", "non_public"))
    officer = h.county_officer()
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)

    a = h.through_to_review(cycle)  # opens the guiding organisation's comment
    h.review(
        a,
        fraction=Decimal("0.6"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": f"问题{n}", "requirement": "", "owner": deputy, "due": h.next_week()} for n in (1, 2, 3)
        ],
    )
    extended, reported, overdue = a.rectification_items.order_by("pk")
    svc.extension_request(item=extended, by=deputy, due=extended.due + datetime.timedelta(days=30), reason="培训")
    svc.rectification_report(item=reported, by=deputy, report="已补齐台账")
    referral = AccountabilityReferral.objects.create(item=overdue)
    flow_start("OverdueRectificationFlow", referral=referral)

    to_close = h.assessment_of(cycle, "JC-QS-HT-02")
    h.do_self_assessment(to_close)
    h.approve_self(to_close)

    by_office = h.through_to_review(cycle, "JC-QS-KFQ")  # a county body's organisation: the county office reviews

    rated = h.through_to_review(cycle, "JC-QS-HT-03")
    h.review(rated, fraction=Decimal("0.85"), outcome=Outcome.NONE)
    rated.refresh_from_db()
    h.settle(cycle)
    publication = pub_svc.publication_open(by=officer, cycle=cycle)
    objection = pub_svc.objection_raise(
        by=User.objects.get(username="dangyuan"), publication=publication, assessment=rated, reason="评定偏高"
    )

    plan = sh.drawn_plan(by=officer.username, office="QS-ZZB", cycle=cycle, scope_root=None, rate_percent=100)
    inspection = plan.inspections.get(organisation__code=h.VILLAGE)
    sh.record(inspection)
    sh.sign_all(inspection)

    def open_task(process, node):
        return Task.objects.get(process=process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])

    last_year = h.open_cycle(year=2025)  # another year's: its ratings to settle, its meeting's written report due
    settlement = RatingSettlement.objects.create(cycle=last_year)
    flow_start("RatingSettlementFlow", settlement=settlement)

    # a report-and-review meeting: one written report still due (another meeting of the same secretaries), one to
    # be received, the meeting held with the leaders' comments waiting and the appraisal to close
    meeting, meeting_officer, _second = mh.new_meeting(cycle)
    mh.submit_every_report(meeting)
    *received, unreceived = meeting.reporters.order_by("order")
    for r in received:
        meeting_svc.report_receive(reporter=r, by=meeting_officer)
    meeting_svc.meeting_hold(meeting=meeting, by=meeting_officer, attendance="20")
    upcoming, _o, _s = mh.new_meeting(last_year, date=datetime.date(2026, 12, 28))
    due_report = upcoming.reporters.order_by("order").first()

    comment = a.guidance_comments.get()
    # the demo's: a duty list still to confirm (the city's cycle), a consolidation milestone to report on
    duty = _open_human_tasks().filter(flow_task=DutyListFlow.confirm).order_by("pk").first()
    milestone = _open_human_tasks().filter(flow_task=ConsolidationMilestoneFlow.report).order_by("pk").first()
    return {
        "duty_list": (duty, (None, None, None)),
        "milestone": (milestone, (None, None, None)),
        "meeting_report": (open_task(due_report.process, MeetingReportFlow.report), (None, None, None)),
        "meeting_receive": (open_task(unreceived.process, MeetingReportFlow.receive), (None, None, None)),
        "meeting_close": (open_task(meeting.process, ReportMeetingFlow.close), (None, None, None)),
        "meeting_comment": (
            open_task(meeting.reporters.get(order=1).comment_process, MeetingCommentFlow.comment),
            (None, None, None),
        ),
        "close_mass": (open_task(to_close.process, AssessmentFlow.close_mass), (to_close, None, None)),
        "office_review": (open_task(by_office.process, AssessmentFlow.review), (by_office, None, None)),
        "comment": (open_task(comment.process, GuidanceCommentFlow.comment), (a, None, None)),
        "extension": (open_task(extended.process, RectificationItemFlow.decide_extension), (a, extended, None)),
        "verify": (open_task(reported.process, RectificationItemFlow.verify), (a, reported, None)),
        "report": (open_task(overdue.process, RectificationItemFlow.report), (a, overdue, None)),
        "referral": (open_task(referral.process, OverdueRectificationFlow.propose), (a, overdue, None)),
        "objection": (open_task(objection.process, ObjectionFlow.decide), (rated, None, None)),
        "inspection": (open_task(inspection.process, InspectionFlow.review), (None, None, inspection)),
        "settlement": (open_task(settlement.process, RatingSettlementFlow.settle), (None, None, None)),
    }


def _open_human_tasks():
    return Task.objects.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED], flow_task_type="HUMAN")


def test_what_a_task_is_about_is_read_through_its_flows_entry(every_flow):
    assert {task.flow_task.flow_class for task, _about in every_flow.values()} == set(FLOWS)
    for name, (task, (assessment, item, inspection)) in every_flow.items():
        assert task_subject(task) == (assessment, item), name
        assert task_inspection(task) == inspection, name


def test_my_tasks_sql_and_the_orm_lists_say_the_same_of_every_flows_tasks(every_flow):
    """My tasks compiles the entries' paths into SQL; the pool and the archive follow them through the ORM."""
    me = User.objects.create(username="registry-me", real_name="登记者")
    tasks = list(_open_human_tasks().order_by("created", "pk"))
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(owner=me, status=STATUS.ASSIGNED)
    page = my_tasks_page(me, size=len(tasks))
    assert page["total"] == len(tasks) and not page["next"]
    by_sql = {row["task_id"]: row for row in page["rows"]}
    by_orm = {row["task_id"]: row for row in _task_rows(_open_human_tasks().order_by("created", "pk"))}
    assert by_sql.keys() == by_orm.keys()
    for task_id, row in by_orm.items():
        row = {k: str(v) if k == "title" else v for k, v in row.items() if k != "task"}
        assert {k: str(v) if k == "title" else v for k, v in by_sql[task_id].items()} == row, task_id
    settling = every_flow["settlement"][0].pk
    # every task names its cycle or plan, but a consolidation milestone: it is about an organisation alone
    with_context = [row for row in by_sql.values() if "/consolidationmilestone/" not in row["url"]]
    assert all(row["context"] for row in with_context), [r for r in with_context if not r["context"]]
    # settling a cycle's ratings (the demo city's, and the fixture's) is about a cycle, not an organisation
    about_organisations = [row for row in by_sql.values() if "/ratingsettlement/" not in row["url"]]
    missing = [row for row in about_organisations if not (row["organisation"] and row["organisation_url"])]
    assert not missing, missing
    assert (
        by_sql[settling]["context"] == "2025年度青山县村党组织书记抓党建考核" and not by_sql[settling]["organisation"]
    )
    assert by_sql[every_flow["inspection"][0].pk]["due"] == every_flow["inspection"][1][2].plan.due
    assert by_sql[every_flow["referral"][0].pk]["problem"] == "问题3"

    # and the search by organisation, cycle and step reads the same paths, in SQL and through the ORM
    referral_task = every_flow["referral"][0]
    assessment = every_flow["referral"][1][0]
    org = assessment.organisation
    for filters in ({"text": org.name}, {"cycle": assessment.cycle_id}, {"stage": "propose"}):
        sql_ids = {row["task_id"] for row in my_tasks_page(me, filters=Filters(**filters), size=500)["rows"]}
        assert referral_task.pk in sql_ids, filters
    Task.objects.filter(pk=referral_task.pk).update(status=STATUS.DONE, finished=referral_task.created)
    for filters in ({"text": org.name}, {"cycle": assessment.cycle_id}, {"stage": "propose"}):
        assert referral_task.pk in [row["task_id"] for row in archive(me, **filters)], filters


def test_the_pool_lists_for_everyone_exactly_what_the_nodes_let_them_take(every_flow):
    waiting = list(_open_human_tasks().filter(status=STATUS.NEW, owner__isnull=True).select_related("process"))
    pooled = {name for name, (task, _about) in every_flow.items() if task.owner_id is None}
    assert pooled >= {
        "close_mass",
        "office_review",
        "comment",
        "extension",
        "verify",
        "referral",
        "objection",
        "settlement",
    }
    assert "inspection" in pooled
    offered = set()
    for user in User.objects.filter(is_active=True).order_by("pk"):
        eligible = {t.pk for t in waiting if t.flow_task.is_eligible(user, t)}
        listed = {row["task"].pk for row in queue(user)}
        assert listed == eligible, user.username
        offered |= listed
    assert {every_flow[name][0].pk for name in pooled} <= offered  # someone may take each of them
