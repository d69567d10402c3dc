"""The cycle's screens through the test client: each step's page, its refusals, and evidence."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import Evidence, OversightOffice, ReviewCycle, Role, Stage, User
from flows.selectors import task_url
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def open_task(a):
    return Task.objects.get(process=a.process, status__in=[STATUS.NEW, STATUS.ASSIGNED])


@pytest.fixture
def cycle(demo):
    return h.open_cycle()


def test_an_officer_creates_and_opens_a_cycle_on_screen(client, demo):
    officer = h.county_officer()
    client.force_login(officer)
    office = OversightOffice.objects.get(code="QS-ZZB")
    data = {
        "office": office.pk,
        "year": 2027,
        "name": "2027年度考核",
        "scope_code": "",
        "scope_sectors": ["village"],
        "self_due": "2027-12-10",
        "mass_due": "2027-12-20",
        "review_due": "2028-01-10",
        "rectification_due": "2028-03-31",
        "weight_self": 20,
        "weight_mass": 20,
        "weight_superior": 60,
        "weight_social": 0,
        "good_min": 90,
        "fairly_good_min": 80,
        "average_min": 60,
        "good_cap_percent": "",
    }
    bad = client.post(reverse("cycle_create"), data | {"mass_due": "2027-01-01"})
    assert bad.status_code == 400 and "顺序" in bad.content.decode()
    response = client.post(reverse("cycle_create"), data)
    assert response.status_code == 302
    cycle = ReviewCycle.objects.get(year=2027)
    assert client.post(reverse("cycle_open", kwargs={"pk": cycle.pk})).status_code == 302
    page = client.get(reverse("cycle_detail", kwargs={"pk": cycle.pk})).content.decode()
    assert "8 / 8" in page and "自评" in page
    # a village secretary may not see the cycle at all
    client.force_login(User.objects.get(username="shuji"))
    assert client.get(reverse("cycle_detail", kwargs={"pk": cycle.pk})).status_code == 404
    assert client.post(reverse("cycle_open", kwargs={"pk": cycle.pk})).status_code == 404
    assert client.get(reverse("cycle_create")).status_code == 404


def test_the_person_in_direct_charge_drafts_on_screen_and_a_bad_score_loses_nothing(client, cycle):
    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    inbox = client.get(reverse("home")).content.decode()
    url = task_url(open_task(a))
    assert url in inbox and "起草自评" in inbox
    ind = a.template.indicators.filter(veto=False).first()
    response = client.post(
        url,
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            f"points_{ind.pk}": "999",
            f"note_{ind.pk}": "我的说明",
            "report": "我的述职报告",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "999" in body and "我的说明" in body and "我的述职报告" in body  # what was typed is still there
    assert str(ind.max_points) in body
    response = client.post(
        url,
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            f"points_{ind.pk}": str(ind.max_points),
            "report": "我的述职报告",
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.scores.get(indicator=ind).self_points == ind.max_points and a.report == "我的述职报告"


def test_the_whole_self_assessment_is_submitted_with_evidence_on_screen(client, cycle):
    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    url = task_url(open_task(a))
    data = {"expected_state": Stage.SELF_ASSESSMENT, "action": "submit", "report": "述职报告"}
    for ind in a.template.indicators.filter(veto=False):
        data[f"points_{ind.pk}"] = str(ind.max_points)
        if ind.evidence_required:
            data[f"evidence_{ind.pk}"] = h.pdf(f"{ind.code}.pdf")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    a.refresh_from_db()
    assert a.state == Stage.SELF_APPROVAL
    # the secretary now has it
    client.force_login(User.objects.get(username="shuji"))
    assert "审核自评" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    "name,content,error",
    [
        ("virus.exe", b"MZ\x90\x00", "只接受"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "不是真正的"),
    ],
)
def test_evidence_of_the_wrong_type_is_refused_and_nothing_is_stored(client, cycle, name, content, error):
    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    ind = a.template.indicators.filter(evidence_required=True).first()
    response = client.post(
        task_url(open_task(a)),
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            "report": "x",
            f"evidence_{ind.pk}": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code == 400 and error in response.content.decode()
    assert not Evidence.objects.filter(assessment=a).exists()


def test_oversized_evidence_is_refused(client, cycle, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    ind = a.template.indicators.filter(evidence_required=True).first()
    response = client.post(
        task_url(open_task(a)),
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            "report": "x",
            f"evidence_{ind.pk}": SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * 4096),
        },
    )
    assert response.status_code == 400 and "MB" in response.content.decode()
    assert not Evidence.objects.filter(assessment=a).exists()


def test_evidence_is_served_only_to_those_who_may_see_the_organisation(client, cycle):
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    ev = Evidence.objects.filter(assessment=a).first()
    url = reverse("evidence_download", kwargs={"pk": ev.pk})
    client.force_login(User.objects.get(username="xianshuji"))
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(h.holder("JC-BH-LS-01", Role.SECRETARY))
    assert client.get(url).status_code == 404
    assert client.get("/_media/" + ev.file.name).status_code == 404  # never from a public media URL


def test_every_task_url_refuses_the_wrong_user(client, cycle):
    """At each step, the task's page is a 404 for someone from another county and for the wrong role."""
    a = h.assessment_of(cycle)
    outsider = h.holder("JC-BH-LS-01", Role.SECRETARY)
    member = User.objects.get(username="dangyuan")
    steps = [
        (lambda: None, "fenguan"),
        (lambda: h.do_self_assessment(a), "shuji"),
        (lambda: h.approve_self(a), h.county_officer().username),
        (lambda: h.close_mass(a), h.reviewer_of(a).username),
    ]
    for advance, right in steps:
        advance()
        task = open_task(a)
        url = task_url(task)
        for wrong in (outsider, member):
            client.force_login(wrong)
            assert client.get(url).status_code == 404
            assert client.post(url, {"decision": "approve"}).status_code == 404
        client.force_login(User.objects.get(username=right))
        assert client.get(url).status_code == 200, right


def test_a_double_clicked_approval_is_handled_once(client, cycle):
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    client.force_login(User.objects.get(username="shuji"))
    url = task_url(open_task(a))
    data = {"decision": "approve", "comment": "", "expected_state": Stage.SELF_APPROVAL}
    assert client.post(url, data).status_code == 302
    second = client.post(url, data)
    assert second.status_code == 409 and "已经处理" in second.content.decode()
    a.refresh_from_db()
    assert a.state == Stage.MASS_EVALUATION


def test_a_stale_form_is_refused_with_a_clear_message(client, cycle):
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    client.force_login(User.objects.get(username="shuji"))
    url = task_url(open_task(a))
    response = client.post(url, {"decision": "approve", "expected_state": Stage.SELF_ASSESSMENT})
    assert response.status_code == 409 and "打开此页面后" in response.content.decode()
    a.refresh_from_db()
    assert a.state == Stage.SELF_APPROVAL


def test_the_reviewer_scores_and_submits_rectification_on_screen(client, cycle):
    a = h.through_to_review(cycle)
    reviewer = h.reviewer_of(a)
    client.force_login(reviewer)
    url = task_url(open_task(a))
    assert client.get(url).status_code == 200
    data = {"expected_state": Stage.SUPERIOR_REVIEW, "action": "save", "review_comment": "基础工作薄弱"}
    for ind in a.template.indicators.filter(veto=False):
        data[f"points_{ind.pk}"] = str((ind.max_points * Decimal("0.6")).quantize(Decimal("0.1")))
    assert client.post(url, data).status_code == 302
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    response = client.post(url, data | {"action": "submit", "outcome": "commendation"})
    assert response.status_code == 400 and "整改" in response.content.decode()
    response = client.post(
        url,
        data
        | {
            "action": "submit",
            "outcome": "rectification",
            "rect_problem_1": "台账不全",
            "rect_owner_1": deputy.pk,
            "rect_due_1": due,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    a.refresh_from_db()
    assert a.state == Stage.RECTIFICATION
    client.force_login(deputy)
    assert "整改" in client.get(reverse("home")).content.decode()


def test_queue_shows_oversight_work_only_to_the_office_in_scope(client, cycle):
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    client.force_login(h.county_officer())
    body = client.get(reverse("queue")).content.decode()
    assert a.organisation.name in body and "结束群众评议" in body
    client.force_login(OversightOffice.objects.get(code="BH-ZZB").members.filter(role="officer").first().user)
    assert a.organisation.name not in client.get(reverse("queue")).content.decode()


def test_the_archive_lists_what_i_did(client, cycle):
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    client.force_login(User.objects.get(username="fenguan"))
    body = client.get(reverse("archive")).content.decode()
    assert "起草自评" in body and a.organisation.name in body


def test_the_assessment_page_shows_history_and_the_stage_strip(client, cycle):
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    client.force_login(User.objects.get(username="xianshuji"))
    body = client.get(reverse("assessment_detail", kwargs={"pk": a.pk})).content.decode()
    assert re.search(r'aria-current="step"[^>]*>书记审核', body)
    assert "周海燕" in body  # who submitted, in the history
    client.force_login(h.holder("JC-BH-LS-01", Role.SECRETARY))
    assert client.get(reverse("assessment_detail", kwargs={"pk": a.pk})).status_code == 404


def test_a_reviewer_claims_several_tasks_at_once_and_others_cannot(client, demo):
    from flows.flows import AssessmentFlow
    from flows.services import assessments as svc

    cycle = h.open_cycle(sectors=("village", "community", "agency", "non_public"), year=2029)
    townships = [a for a in cycle.assessments.select_related("organisation")]
    # the township-level organisations are reviewed by the county's organisation department: a queue
    officer = h.county_officer()
    waiting = []
    for a in townships:
        if a.organisation.leading.review_office_id:
            h.do_self_assessment(a)
            h.approve_self(a)
            svc.mass_evaluation_close(assessment=a, by=officer)
            waiting.append(Task.objects.get(process=a.process, flow_task=AssessmentFlow.review))
    assert waiting, "some organisations are reviewed by an office"
    outsider = OversightOffice.objects.get(code="BH-ZZB").members.filter(role="officer").first().user
    client.force_login(outsider)
    client.post(reverse("queue_claim"), {"task": [t.pk for t in waiting]})
    assert all(Task.objects.get(pk=t.pk).owner_id is None for t in waiting)
    client.force_login(officer)
    assert str(waiting[0].pk) in client.get(reverse("queue")).content.decode()
    response = client.post(reverse("queue_claim"), {"task": [t.pk for t in waiting]})
    assert response.status_code == 302
    assert all(Task.objects.get(pk=t.pk).owner_id == officer.pk for t in waiting)
    from flows.models import AuditEntry

    assert AuditEntry.objects.filter(action="task.claim", actor=officer).count() == len(waiting)
    body = client.get(reverse("home")).content.decode()
    assert "上级考评" in body


def test_the_inbox_filters_by_due_date_and_step(client, demo):
    cycle = h.open_cycle()
    client.force_login(User.objects.get(username="fenguan"))
    from flows.services.deadlines import rag

    status = rag(cycle.self_due, datetime.date.today())
    for colour in ("red", "yellow", "green"):
        assert ("东坪村" in client.get(reverse("home"), {"due": colour}).content.decode()) == (colour == status)
    assert "东坪村" in client.get(reverse("home"), {"stage": "draft_self"}).content.decode()
    assert "东坪村" not in client.get(reverse("home"), {"stage": "review"}).content.decode()


def test_every_task_node_refuses_a_wrong_user(client, demo):
    """Walk the commendation, rectification and accountability paths (with a guiding organisation's comment)
    and, at every open task met on the way, check that outsiders get the same 404 on GET and POST."""
    from flows.flows import FLOWS
    from flows.models import MeasureKind, Organisation, Outcome
    from flows.nodes import Task as TaskNode
    from flows.services import assessments as svc
    from flows.services.organisations import guidance_add

    for code in ("JC-QS-HT-01", "JC-QS-HT-02", "JC-QS-HT-03"):
        guidance_add(
            by=None, organisation=Organisation.objects.get(code=code), guide=Organisation.objects.get(code="JC-QS-JGGW")
        )
    cycle = h.open_cycle()
    outsiders = [
        h.holder("JC-BH-LS-01", Role.SECRETARY),
        User.objects.get(username="dangyuan"),
        User.objects.get(username="lianghao"),  # an inspector, not drawn for any of these
    ]
    seen = set()

    def check_open_tasks():
        for task in Task.objects.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).select_related("process"):
            if task.flow_task in seen or not isinstance(task.flow_task, TaskNode):
                continue
            url = task_url(task)
            for wrong in outsiders:
                client.force_login(wrong)
                assert client.get(url).status_code == 404, (task.flow_task.name, wrong.username)
                assert client.post(url, {"decision": "approve", "comment": "x"}).status_code == 404
            seen.add(task.flow_task)

    officers = [m.user for m in cycle.office.members.filter(role="officer").order_by("pk")]
    a1, a2, a3 = (h.assessment_of(cycle, c) for c in ("JC-QS-HT-01", "JC-QS-HT-02", "JC-QS-HT-03"))
    for a in (a1, a2, a3):
        check_open_tasks()
        h.do_self_assessment(a)
        check_open_tasks()
        h.approve_self(a)
        check_open_tasks()
        h.close_mass(a)
        check_open_tasks()
    h.review(
        a1,
        fraction=Decimal("0.95"),
        outcome=Outcome.COMMENDATION,
        commendation={"kind": "advanced_organisation", "nominee": None, "reason": "突出"},
    )
    h.review(
        a2,
        fraction=Decimal("0.6"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": "问题", "requirement": "", "owner": h.holder("JC-QS-HT-02", Role.DEPUTY), "due": h.next_week()}
        ],
    )
    h.review(a3, fraction=Decimal("0.6"), veto=True, outcome=Outcome.ACCOUNTABILITY)
    check_open_tasks()
    item = a2.rectification_items.get()
    svc.extension_request(item=item, by=item.owner, due=item.due + datetime.timedelta(days=30), reason="需要时间")
    check_open_tasks()
    svc.extension_decide(item=item, by=h.reviewer_of(a2), grant=True)
    svc.rectification_report(item=item, by=item.owner, report="已整改")
    svc.accountability_propose(
        assessment=a3,
        by=officers[0],
        kind=MeasureKind.EDUCATION,
        persons=[h.holder("JC-QS-HT-03", Role.SECRETARY)],
        reason="问题严重",
    )
    check_open_tasks()
    # an overdue rectification item goes to the office: the steps of its referral too
    from flows.domain import calendar
    from flows.flows import RectificationItemFlow
    from flows.models import AccountabilityReferral, RectificationItem
    from flows.services import deadlines

    late = RectificationItem.objects.create(
        assessment=a2, problem="逾期事项", owner=item.owner, due=h.next_week(), created_by=officers[0]
    )
    RectificationItemFlow.start.run(item=late)
    deadlines.deadlines_sweep(calendar.add_working_days(late.due, 3))
    check_open_tasks()
    deadlines.referral_propose(
        referral=AccountabilityReferral.objects.get(item=late),
        by=officers[0],
        kind=MeasureKind.EDUCATION,
        persons=[h.holder("JC-QS-HT-02", Role.SECRETARY)],
        reason="逾期",
    )
    check_open_tasks()
    # a spot check's inspection: recording, signing, the office's decision
    from tests import spotcheck_helpers as sh

    plan = sh.drawn_plan(
        by=officers[0].username, office="QS-ZZB", cycle=cycle, scope_root=None, pool=("shenkai", "caigang")
    )
    inspection = plan.inspections.first()
    check_open_tasks()
    sh.record(inspection)
    check_open_tasks()
    sh.sign_all(inspection)
    check_open_tasks()
    # the settling of the ratings (等次审定), then an objection to a published rating
    from django.db import transaction

    from flows.services import publications
    from flows.services import results as results_services

    with transaction.atomic():
        results_services.settlement_start(cycle=cycle, by=officers[0])
    check_open_tasks()
    h.settle(cycle, by=officers[0])
    publication = publications.publication_open(by=officers[0], cycle=cycle)
    publications.objection_raise(
        by=h.holder("JC-QS-HT-02", Role.SECRETARY),
        publication=publication,
        assessment=h.assessment_of(cycle, "JC-QS-HT-01"),
        reason="评定偏高",
    )
    check_open_tasks()
    # a report-and-review meeting: the written report and its receipt, holding it, the comments, closing, confirming
    from flows.services import meetings as meeting_svc
    from tests import meeting_helpers as mh

    meeting, meeting_officer, second = mh.new_meeting(cycle)
    check_open_tasks()
    mh.submit_every_report(meeting)
    check_open_tasks()
    for r in meeting.reporters.all():
        meeting_svc.report_receive(reporter=r, by=meeting_officer)
    meeting_svc.meeting_hold(meeting=meeting, by=meeting_officer, attendance="20")
    check_open_tasks()
    commenter = h.holder(mh.TOWNSHIP, Role.SECRETARY)
    for r in meeting.reporters.all():
        meeting_svc.comment_submit(reporter=r, by=commenter, comment="述职全面。", rating="good")
    meeting_svc.appraisal_close(meeting=meeting, by=second)
    check_open_tasks()
    all_nodes = {n for f in FLOWS for n in f.instance.nodes() if isinstance(n, TaskNode)}
    assert seen == all_nodes, {n.name for n in all_nodes - seen}


def test_a_refused_form_stores_nothing_not_even_its_good_file(client, cycle, settings):
    """One good PDF and one fake: the page is refused, and neither file, nor its row, nor an audit row is kept."""
    from pathlib import Path

    from flows.models import AuditEntry

    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    good, bad = a.template.indicators.filter(evidence_required=True, veto=False)[:2]
    folder = Path(settings.MEDIA_ROOT, "evidence", str(a.cycle_id), str(a.pk))  # where this form's files would go
    files_before = {p for p in folder.rglob("*") if p.is_file()}
    audit_before = AuditEntry.objects.count()
    response = client.post(
        task_url(open_task(a)),
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            "report": "述职报告",
            f"evidence_{good.pk}": h.pdf("三会一课台账.pdf"),
            f"evidence_{bad.pk}": SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert response.status_code == 400 and "不是真正的" in response.content.decode()
    assert not Evidence.objects.filter(assessment=a).exists()
    assert AuditEntry.objects.count() == audit_before
    assert {p for p in folder.rglob("*") if p.is_file()} == files_before
    a.refresh_from_db()
    assert a.report == ""  # the report typed with it was not saved either


def test_a_fake_file_and_a_bad_score_are_told_in_the_same_round(client, cycle):
    """The browser forgets the chosen files with every refusal: a refused file and a score over its maximum are both
    said at once, each at its row, so that the files are chosen again only once."""
    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    with_file, over = a.template.indicators.filter(evidence_required=True, veto=False)[:2]
    response = client.post(
        task_url(open_task(a)),
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            f"points_{over.pk}": str(over.max_points + 5),
            f"evidence_{with_file.pk}": SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "不是真正的" in page  # the file
    assert re.search(rf'name="points_{over.pk}"[^>]*value="{over.max_points + 5}"', page)  # the score as typed
    assert page.count('class="field-error"') >= 2, "each refused row says what is wrong at its field"
    assert not Evidence.objects.filter(assessment=a).exists()


def test_a_bad_score_after_a_good_file_stores_neither(client, cycle, settings):
    from pathlib import Path

    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    ind = a.template.indicators.filter(evidence_required=True, veto=False).first()
    folder = Path(settings.MEDIA_ROOT, "evidence", str(a.cycle_id), str(a.pk))  # where this form's files would go
    files_before = {p for p in folder.rglob("*") if p.is_file()}
    response = client.post(
        task_url(open_task(a)),
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            "report": "述职报告",
            f"points_{ind.pk}": "NaN",
            f"evidence_{ind.pk}": h.pdf("台账.pdf"),
        },
    )
    assert response.status_code == 400 and ind.code in response.content.decode()
    # the refused row is marked at its field, with its message beside it, and keeps what was typed
    page = response.content.decode()
    assert f'aria-describedby="error-{ind.pk}"' in page and f'id="error-{ind.pk}"' in page
    assert f'name="points_{ind.pk}"' in page and 'value="NaN"' in page
    assert not Evidence.objects.filter(assessment=a).exists()
    assert {p for p in folder.rglob("*") if p.is_file()} == files_before


def test_a_save_with_several_files_keeps_each_with_its_audit_row_or_none_when_one_is_refused(client, cycle, settings):
    """The files of one save are stored together: each under its item, each with its own audit row naming it. If
    one of them is refused, none is kept — no row, no audit row, no file left in storage."""
    import os

    from flows.models import AuditEntry

    a = h.assessment_of(cycle)
    client.force_login(User.objects.get(username="fenguan"))
    url = task_url(open_task(a))
    required = list(a.template.indicators.filter(evidence_required=True, veto=False))
    assert len(required) >= 2
    evidence_dir = os.path.join(settings.MEDIA_ROOT, "evidence")
    before = sum(len(files) for _root, _dirs, files in os.walk(evidence_dir))

    def post(last):
        data = {"expected_state": Stage.SELF_ASSESSMENT, "action": "save", "report": "草稿"}
        for ind in required[:-1]:
            data[f"evidence_{ind.pk}"] = h.pdf(f"{ind.code}.pdf")
        data[f"evidence_{required[-1].pk}"] = last
        return client.post(url, data)

    response = post(SimpleUploadedFile("台账.exe", b"MZ\x90\x00"))
    assert response.status_code == 400 and "台账.exe" in response.content.decode()
    assert not Evidence.objects.filter(assessment=a).exists()
    assert not AuditEntry.objects.filter(action="evidence.add", subject_id=str(a.pk)).exists()
    assert sum(len(files) for _root, _dirs, files in os.walk(evidence_dir)) == before

    assert post(h.pdf(f"{required[-1].code}.pdf")).status_code == 302
    stored = {e.indicator_id: e.original_name for e in Evidence.objects.filter(assessment=a)}
    assert stored == {ind.pk: f"{ind.code}.pdf" for ind in required}
    audited = AuditEntry.objects.filter(action="evidence.add", subject_type="flows.assessment", subject_id=str(a.pk))
    assert sorted(audited.values_list("to_value", flat=True)) == sorted(stored.values())
    page = client.get(url).content.decode()
    assert all(name in page for name in stored.values())  # listed beside their items on the step


def test_the_assessment_page_reads_the_later_stages_lists_only_once_they_have_rows(client, cycle):
    """A year without guidance comments, commendations, rectification items or measures does not read them; once it
    has rectification items, the page lists them and their history, reading the items once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.rectification_helpers import item_under_rectification

    client.force_login(User.objects.get(username="xianshuji"))
    url = reverse("assessment_detail", kwargs={"pk": h.assessment_of(cycle).pk})

    def read():
        client.get(url)  # the session's first touch apart
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url).content.decode()
        tables = [q["sql"] for q in captured.captured_queries]
        return body, tables

    body, early = read()
    for table in ("flows_rectificationitem", "flows_commendation", "flows_accountabilitymeasure"):
        assert not [sql for sql in early if sql.startswith(f'SELECT "{table}".')], f"{table} read though it has none"
    item = item_under_rectification(cycle=cycle, problem="台账不全需补齐")
    body, later = read()
    assert "台账不全需补齐" in body, "the rectification item is listed"
    ids_read = [sql for sql in later if sql.startswith('SELECT "flows_rectificationitem"."id" AS "pk"')]
    assert not ids_read, "the history takes the items' ids from the list the page read, not from a query of its own"
    history = [sql for sql in later if 'FROM "flows_auditentry"' in sql and "flows.rectificationitem" in sql]
    assert history and f"'{item.pk}'" in history[0], "the history includes the item's own rows"


def test_a_draft_sent_back_says_so_at_the_top_with_the_reason_until_it_is_submitted_again(client, cycle):
    """The person in direct charge opens a draft the secretary sent back: above the form, who sent it back, when,
    and why (not only in the history at the foot of a long page). Submitted again, the notice goes."""
    from flows.services import assessments as svc

    a = h.assessment_of(cycle)
    deputy = h.do_self_assessment(a)
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    svc.self_assessment_decide(assessment=a, by=secretary, approve=False, comment="请补充发展党员情况<b>")
    client.force_login(deputy)
    page = client.get(task_url(open_task(a))).content.decode()
    notice = re.search(r'<div class="card notice sent-back" role="status">(.*?)</div>', page, re.S)
    assert notice, "no notice"
    assert f"{secretary.real_name} 于" in notice[1] and "退回，意见：" in notice[1]
    assert "请补充发展党员情况&lt;b&gt;" in notice[1]  # the reason, escaped
    assert page.index("sent-back") < page.index('name="report"')  # above the form
    svc.self_assessment_submit(assessment=a, by=deputy)
    client.force_login(secretary)
    again = client.get(task_url(open_task(a))).content.decode()  # the secretary's 审核自评 of the new submission
    assert "请补充发展党员情况" in again and "sent-back" not in again  # in the history only
