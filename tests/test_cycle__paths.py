"""Every path through an organisation's year, step by step through the services (the shell's door)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.flows import AssessmentFlow, GuidanceCommentFlow, RectificationItemFlow
from flows.models import AuditEntry, Decision, ItemState, MeasureKind, Outcome, Rating, Role, Stage
from flows.selectors import results
from flows.services import assessments as svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def open_tasks(a):
    return list(Task.objects.filter(process=a.process, status__in=[STATUS.NEW, STATUS.ASSIGNED]))


def test_launch_puts_the_draft_in_the_person_in_direct_charges_inbox(demo):
    cycle = h.open_cycle()
    villages = cycle.assessments.count()
    assert villages == 8 and cycle.launch_done == cycle.launch_total == villages
    a = h.assessment_of(cycle)
    [task] = open_tasks(a)
    assert task.flow_task == AssessmentFlow.draft_self
    assert task.owner.username == "fenguan" and task.status == STATUS.ASSIGNED
    assert a.template.sector == "village"


def test_commendation_approved(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    officer = h.county_officer()
    h.review(
        a,
        fraction=Decimal("0.95"),
        outcome=Outcome.COMMENDATION,
        commendation={"kind": "advanced_organisation", "nominee": None, "reason": "成绩突出"},
    )
    a.refresh_from_db()
    assert (a.state, a.rating) == (Stage.COMMENDATION, Rating.GOOD)
    assert [t.flow_task for t in open_tasks(a)] == [AssessmentFlow.decide_commendation]
    svc.commendation_decide(assessment=a, by=officer, approve=True)
    a.refresh_from_db()
    assert a.state == Stage.CLOSED and a.commendations.get().decision == Decision.APPROVED
    assert a.process.status == "DONE"
    assert not open_tasks(a)


def test_commendation_rejected_needs_a_reason(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    h.review(
        a,
        fraction=Decimal("0.95"),
        outcome=Outcome.COMMENDATION,
        commendation={"kind": "advanced_organisation", "nominee": None, "reason": "成绩突出"},
    )
    officer = h.county_officer()
    with pytest.raises(ValidationError):
        svc.commendation_decide(assessment=a, by=officer, approve=False, comment="")
    svc.commendation_decide(assessment=a, by=officer, approve=False, comment="名额已满")
    a.refresh_from_db()
    assert a.state == Stage.CLOSED and a.commendations.get().decision == Decision.REJECTED


def test_rectification_with_a_returned_item(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    secretary, deputy = h.holder(h.VILLAGE, Role.SECRETARY), h.holder(h.VILLAGE, Role.DEPUTY)
    reviewer = h.review(
        a,
        fraction=Decimal("0.65"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": "三会一课记录不全", "requirement": "补齐台账", "owner": deputy, "due": h.next_week()},
            {"problem": "党员活动室未挂牌", "requirement": "", "owner": secretary, "due": h.next_week()},
        ],
    )
    a.refresh_from_db()
    assert a.state == Stage.RECTIFICATION and a.rating == Rating.AVERAGE
    first, second = a.rectification_items.order_by("pk")
    assert Task.objects.get(process=first.process, status=STATUS.ASSIGNED).owner == deputy
    svc.rectification_report(item=first, by=deputy, report="已补齐")
    svc.rectification_verify(item=first, by=reviewer, verified=False, comment="缺少签字")
    first.refresh_from_db()
    assert first.state == ItemState.OPEN
    assert (
        Task.objects.get(process=first.process, flow_task=RectificationItemFlow.report, status=STATUS.ASSIGNED).owner
        == deputy
    )
    svc.rectification_report(item=first, by=deputy, report="已补签")
    svc.rectification_verify(item=first, by=reviewer, verified=True)
    a.refresh_from_db()
    assert a.state == Stage.RECTIFICATION  # the second item is still open
    svc.rectification_report(item=second, by=secretary, report="已挂牌")
    svc.rectification_verify(item=second, by=reviewer, verified=True)
    a.refresh_from_db()
    assert a.state == Stage.CLOSED and a.process.status == "DONE"


def test_the_person_who_reported_an_item_never_verifies_it(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    reviewer = h.reviewer_of(a)
    h.review(
        a,
        fraction=Decimal("0.65"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": "问题", "requirement": "", "owner": h.holder(h.VILLAGE, Role.DEPUTY), "due": h.next_week()}
        ],
    )
    item = a.rectification_items.get()
    # make the reviewer the reporter: even then they cannot verify their own report
    item.owner = reviewer
    item.save()
    svc.rectification_report(item=item, by=reviewer, report="已整改")
    with pytest.raises(PermissionDenied):
        svc.rectification_verify(item=item, by=reviewer, verified=True)


def test_accountability_needs_a_second_officer(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    h.review(a, fraction=Decimal("0.5"), veto=True, outcome=Outcome.ACCOUNTABILITY)
    a.refresh_from_db()
    assert (a.state, a.rating) == (Stage.ACCOUNTABILITY, Rating.POOR)
    officers = [m.user for m in a.cycle.office.members.filter(role="officer").order_by("pk")]
    first, second = officers[0], officers[1]
    svc.accountability_propose(
        assessment=a,
        by=first,
        kind=MeasureKind.ADMONITION,
        persons=[h.holder(h.VILLAGE, Role.SECRETARY)],
        reason="职责履行不到位",
    )
    with pytest.raises(PermissionDenied):
        svc.accountability_decide(assessment=a, by=first, approve=True)
    svc.accountability_decide(assessment=a, by=second, approve=False, comment="事实不清")
    a.refresh_from_db()
    assert a.state == Stage.ACCOUNTABILITY
    assert [t.flow_task for t in open_tasks(a)] == [AssessmentFlow.propose_accountability]
    svc.accountability_propose(
        assessment=a,
        by=first,
        kind=MeasureKind.EDUCATION,
        persons=[h.holder(h.VILLAGE, Role.SECRETARY)],
        reason="补充事实后",
    )
    svc.accountability_decide(assessment=a, by=second, approve=True)
    a.refresh_from_db()
    assert a.state == Stage.CLOSED


def test_the_secretary_sends_the_draft_back(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.do_self_assessment(a)
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    with pytest.raises(ValidationError):
        svc.self_assessment_decide(assessment=a, by=secretary, approve=False, comment=" ")
    svc.self_assessment_decide(assessment=a, by=secretary, approve=False, comment="请补充发展党员情况")
    a.refresh_from_db()
    assert a.state == Stage.SELF_ASSESSMENT
    [task] = open_tasks(a)
    assert task.flow_task == AssessmentFlow.draft_self and task.owner == deputy
    entry = AuditEntry.objects.filter(action="assessment.return_self", subject_id=str(a.pk)).get()
    assert (entry.actor, entry.from_value, entry.to_value, entry.comment) == (
        secretary,
        Stage.SELF_APPROVAL,
        Stage.SELF_ASSESSMENT,
        "请补充发展党员情况",
    )


def test_a_veto_forces_poor_and_forbids_commendation(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    with pytest.raises(ValidationError) as err:
        h.review(
            a,
            fraction=Decimal("1.0"),
            veto=True,
            outcome=Outcome.COMMENDATION,
            commendation={"kind": "advanced_organisation", "nominee": None, "reason": "x"},
        )
    assert "outcome" in err.value.message_dict
    a.refresh_from_db()
    # the refused submission leaves a draft: it would rate 差 with the veto, but it is not a result yet
    draft = results.draft_result(a)
    assert draft.veto and draft.rating == Rating.POOR and a.state == Stage.SUPERIOR_REVIEW
    assert a.rating == "" and not a.veto


def test_scores_outside_the_range_are_refused_and_nothing_is_saved(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    ind = a.template.indicators.filter(veto=False).first()
    for bad in (str(ind.max_points + 1), "-1", "abc", "1.25"):
        with pytest.raises(ValidationError) as err:
            svc.self_assessment_save(assessment=a, by=deputy, scores={ind.pk: (bad, "")}, report="x")
        assert f"points_{ind.pk}" in err.value.message_dict
    assert not a.scores.exists()


def test_submission_without_required_evidence_is_refused(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    svc.self_assessment_save(assessment=a, by=deputy, scores=h.full_self_scores(a), report="报告")
    with pytest.raises(ValidationError) as err:
        svc.self_assessment_submit(assessment=a, by=deputy)
    assert "证明材料" in str(err.value) or "evidence" in str(err.value)
    a.refresh_from_db()
    assert a.state == Stage.SELF_ASSESSMENT


def test_a_wrong_person_cannot_take_any_step(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    outsider = h.holder("JC-BH-LS-01", Role.SECRETARY)
    with pytest.raises(PermissionDenied):
        svc.self_assessment_save(assessment=a, by=outsider, scores={}, report="x")
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    h.do_self_assessment(a)
    with pytest.raises(PermissionDenied):
        svc.self_assessment_decide(assessment=a, by=outsider, approve=True)
    with pytest.raises(AlreadyHandled):
        svc.mass_evaluation_close(assessment=a, by=secretary)  # not at that stage: refused as stale, nothing moves
    a.refresh_from_db()
    assert a.state == Stage.SELF_APPROVAL


def test_a_step_taken_twice_is_already_handled(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    with pytest.raises(AlreadyHandled):
        h.approve_self(a)
    assert AuditEntry.objects.filter(action="assessment.approve_self", subject_id=str(a.pk)).count() == 1


def test_a_guiding_organisation_gets_a_comment_task_that_does_not_block(demo):
    from flows.models import Organisation
    from flows.services.organisations import guidance_add

    guide = Organisation.objects.get(code="JC-QS-JGGW")
    guidance_add(by=None, organisation=Organisation.objects.get(code=h.VILLAGE), guide=guide)
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    comment = a.guidance_comments.get()
    task = Task.objects.get(process=comment.process, flow_task=GuidanceCommentFlow.comment)
    assert task.status == STATUS.NEW
    guide_secretary = h.holder("JC-QS-JGGW", Role.SECRETARY)
    assert GuidanceCommentFlow.comment.can_assign(guide_secretary, task)
    assert not GuidanceCommentFlow.comment.can_assign(h.holder(h.VILLAGE, Role.SECRETARY), task)
    h.review(a, fraction=Decimal("0.85"), outcome=Outcome.NONE)  # the review does not wait for the comment
    a.refresh_from_db()
    assert a.state == Stage.CLOSED
    svc.guidance_comment_submit(comment_obj=comment, by=guide_secretary, comment="建议加强阵地建设")
    assert a.guidance_comments.get().author == guide_secretary


def test_every_transition_is_audited_with_actor_and_states(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    h.review(a, fraction=Decimal("0.85"), outcome=Outcome.NONE)
    actions = list(
        AuditEntry.objects.filter(
            subject_id=str(a.pk),
            subject_type="flows.assessment",
            action__in=[
                "assessment.submit_self",
                "assessment.approve_self",
                "assessment.close_mass",
                "assessment.submit_review",
            ],
        )
        .order_by("pk")
        .values_list("action", "from_value", "to_value")
    )
    assert actions == [
        ("assessment.submit_self", "self_assessment", "self_approval"),
        ("assessment.approve_self", "self_approval", "mass_evaluation"),
        ("assessment.close_mass", "mass_evaluation", "superior_review"),
        ("assessment.submit_review", "superior_review", "closed"),
    ]


def test_saving_a_draft_again_changes_only_the_items_that_changed(demo):
    """A draft saved twice with the same scores writes no score row the second time; changing one item's points
    changes that row alone, and what the page reads back is what was typed each time."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from flows.models import ItemScore
    from flows.policy import access

    a = h.assessment_of(h.open_cycle())
    deputy = access.person_in_direct_charge(a.organisation)
    scores = h.full_self_scores(a)
    svc.self_assessment_save(assessment=a, by=deputy, scores=scores, report="草稿")
    assert ItemScore.objects.filter(assessment=a, self_points__isnull=False).count() == len(scores)

    def score_writes():
        with CaptureQueriesContext(connection) as captured:
            svc.self_assessment_save(assessment=a, by=deputy, scores=scores, report="草稿")
        return [q["sql"] for q in captured if re.match(r'(INSERT INTO|UPDATE) "flows_itemscore"', q["sql"])]

    assert score_writes() == []
    first, *others = sorted(scores)
    before = {s.indicator_id: (s.pk, s.self_points, s.self_note) for s in ItemScore.objects.filter(assessment=a)}
    scores[first] = ("1.0", "改为部分完成")
    writes = score_writes()
    assert len(writes) == 1 and writes[0].startswith('UPDATE "flows_itemscore"')
    after = {s.indicator_id: (s.pk, s.self_points, s.self_note) for s in ItemScore.objects.filter(assessment=a)}
    assert after[first][1:] == (Decimal("1.0"), "改为部分完成") and after[first][0] == before[first][0]
    assert all(after[i] == before[i] for i in others)


def test_the_self_assessment_screens_one_step_stores_files_scores_and_the_submission_together_or_nothing(
    demo, settings, tmp_path
):
    """`self_assessment_draft`, what the screen calls: someone else is refused and nothing is stored; the drafter's
    files, points and submission land together, each with its audit row; the same step again finds it submitted."""
    from flows.models import Evidence

    settings.MEDIA_ROOT = tmp_path
    a = h.assessment_of(h.open_cycle())
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    required = list(a.template.indicators.filter(evidence_required=True, veto=False))
    files = [(h.pdf(f"{i.code}.pdf"), "application/pdf", i) for i in required]
    before = AuditEntry.objects.count()
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    with pytest.raises(PermissionDenied):
        svc.self_assessment_draft(
            assessment=a, by=secretary, files=files, scores=h.full_self_scores(a), report="代写", submit=True
        )
    assert not Evidence.objects.filter(assessment=a).exists() and AuditEntry.objects.count() == before
    assert not list(tmp_path.rglob("*.pdf")), "no file of the refused step is left on disk"

    files = [(h.pdf(f"{i.code}.pdf"), "application/pdf", i) for i in required]
    svc.self_assessment_draft(
        assessment=a, by=deputy, files=files, scores=h.full_self_scores(a), report="述职报告", submit=True
    )
    a.refresh_from_db()
    assert a.state == Stage.SELF_APPROVAL and a.report == "述职报告"
    assert sorted(Evidence.objects.filter(assessment=a).values_list("indicator_id", flat=True)) == sorted(
        i.pk for i in required
    )
    actions = list(AuditEntry.objects.filter(subject_id=str(a.pk)).order_by("pk").values_list("action", flat=True))
    assert actions[-(len(required) + 2) :] == ["evidence.add"] * len(required) + [
        "assessment.self_save",
        "assessment.submit_self",
    ]
    assert [t.flow_task for t in open_tasks(a)] == [AssessmentFlow.approve_self]
    with pytest.raises(AlreadyHandled):
        svc.self_assessment_draft(assessment=a, by=deputy, scores={}, report="再改", expected_state=None)
    a.refresh_from_db()
    assert a.report == "述职报告"
