"""The flows that put each step in the right inbox. They read like the diagram in the assessment model.

* `AssessmentFlow`: one organisation's year, started in bulk when a cycle opens.
* `RectificationItemFlow`: one rectification item: its owner reports (or asks for more time, which a reviewer
  decides), a reviewer verifies or returns; after the cycle's interval the reviewing side re-checks it (回头看),
  which may send it back to its owner.
* `GuidanceCommentFlow`: a guiding organisation's non-blocking comment while the review runs.

Each flow names its `subject`, the domain object behind its process (`process.<subject>`): the object each
task's step is taken on. Who may take a task is the step's rule in the permission table (`flows.policy.steps`),
named by `.Step(...)`; the service that completes it checks the same rule.

Every flow locks its process row (`select_for_update`) while a task completes: viewflow's default is no
lock at all, under which two requests completing the same task both succeed.
"""

import datetime
from contextlib import contextmanager
from functools import cache

from django.db import DatabaseError, transaction
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow import Flow

from flows import nodes
from flows.flow_registry import InboxEntry, flows_register
from flows.models import (
    Assessment,
    Inspection,
    InspectionState,
    ItemState,
    RectificationItem,
    Role,
    RoleAssignment,
    Stage,
)
from flows.models.compiled import CompiledQuery
from flows.models.people import today
from flows.policy import access
from flows.policy import duties as duty_rules
from flows.selectors.holders import returning_reviewer
from flows.selectors.tasks import process_subject
from flows.views import consolidation as consolidation_views
from flows.views import duties as duty_views
from flows.views import inspection_steps, meeting_steps, publication_steps, settlement_steps, steps


class ProcessRowLock:
    """viewflow's row lock on the process while a task completes (its `SelectForUpdateLock` waiting, one attempt),
    its statement compiled once per process: the loser of a race sees the winner's result and answers "already
    handled" at once, instead of retrying with sleeps."""

    @contextmanager
    def __call__(self, flow_class, process_pk):
        with transaction.atomic():
            try:
                _process_locked(flow_class.process_class)(pk=int(process_pk))
            except DatabaseError:
                raise FlowLockFailed(f"Lock failed for {flow_class}") from None
            yield


@cache
def _process_locked(model) -> CompiledQuery:
    return CompiledQuery(lambda pk: model._default_manager.select_for_update().filter(pk=pk).values_list("pk"), pk=int)


FLOW_LOCK = ProcessRowLock()


def _assessment(task_or_activation):
    return process_subject(task_or_activation.process, "assessment")


def _stage(activation):
    """The assessment's stage as committed now (never a copy cached on the process by a screen)."""
    return Assessment.objects.filter(process_id=activation.process.pk).values_list("state", flat=True).get()


def _item_state(activation):
    return RectificationItem.objects.filter(process_id=activation.process.pk).values_list("state", flat=True).get()


# the latest-started current holder of a role in an organisation, with the person (compiled once per process)
_HOLDER = CompiledQuery(
    lambda org_id, role, day: (
        RoleAssignment.objects.current(day)
        .filter(organisation_id=org_id, role=role)
        .select_related("user")
        .order_by("-start", "pk")[:1]
    ),
    org_id=int,
    role=str,
    day=datetime.date,
)


def _current_holder(org, role):
    """The current holder of `role` in `org` (an organisation or its id), or None."""
    found = _HOLDER(org_id=getattr(org, "pk", org), role=str(role), day=today())
    return found[0].user if found else None


class AssessmentFlow(Flow):
    process_title = _("Annual responsibility review")
    subject = "assessment"
    inbox = InboxEntry(assessment="assessment")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.draft_self)

    draft_self = (
        nodes.Task(steps.DraftSelfView.as_view())
        .Annotation(title=_("Draft the self-assessment"))
        .Assign(this.assign_in_direct_charge)
        .Step("assessment.submit_self")
        .Next(this.approve_self)
    )
    approve_self = (
        nodes.Task(steps.ApproveSelfView.as_view())
        .Annotation(title=_("Approve the self-assessment"))
        .Assign(this.assign_secretary)
        .Step("assessment.approve_self")
        .Next(this.check_self_approved)
    )
    check_self_approved = (
        nodes.If(lambda act: _stage(act) == Stage.MASS_EVALUATION)
        .Annotation(title=_("Approved?"))
        .Then(this.close_mass)
        .Else(this.draft_self)
    )
    close_mass = (
        nodes.Task(steps.CloseMassView.as_view())
        .Annotation(title=_("Close the mass evaluation"))
        .Step("assessment.close_mass")
        .Next(this.review)
    )
    review = (
        nodes.Task(steps.ReviewView.as_view())
        .Annotation(title=_("Superior review"))
        .Assign(this.assign_reviewer)
        .Step("assessment.submit_review")
        .Next(this.check_outcome)
    )
    check_outcome = (
        nodes.Switch()
        .Annotation(title=_("Outcome"))
        .Case(this.decide_commendation, lambda act: _stage(act) == Stage.COMMENDATION)
        .Case(this.await_rectification, lambda act: _stage(act) == Stage.RECTIFICATION)
        .Case(this.propose_accountability, lambda act: _stage(act) == Stage.ACCOUNTABILITY)
        .Default(this.end)
    )
    decide_commendation = (
        nodes.Task(steps.DecideCommendationView.as_view())
        .Annotation(title=_("Decide on the commendation"))
        .Step("assessment.decide_commendation")
        .Next(this.end)
    )
    await_rectification = (
        nodes.Handle(this.rectification_done).Annotation(title=_("Rectification items in progress")).Next(this.end)
    )
    propose_accountability = (
        nodes.Task(steps.ProposeAccountabilityView.as_view())
        .Annotation(title=_("Propose an accountability measure"))
        .Step("assessment.propose_accountability")
        .Next(this.approve_accountability)
    )
    approve_accountability = (
        nodes.Task(steps.DecideAccountabilityView.as_view())
        .Annotation(title=_("Approve the accountability measure"))
        .Step("assessment.approve_accountability")
        .Next(this.check_accountability)
    )
    check_accountability = (
        nodes.If(lambda act: _stage(act) == Stage.CLOSED)
        .Annotation(title=_("Approved?"))
        .Then(this.end)
        .Else(this.propose_accountability)
    )
    end = nodes.End()

    def start_flow(self, activation, assessment):
        activation.process.save()
        assessment.process = activation.process
        assessment.save(update_fields=["process"])
        return activation.process

    def rectification_done(self, activation):
        """Run by the service when the last rectification item is verified."""

    def assign_in_direct_charge(self, activation):
        """The leader in charge, or the secretary where there is none: the one rule, `access.in_direct_charge_ids`."""
        return access.person_in_direct_charge(_assessment(activation).organisation)

    def assign_secretary(self, activation):
        return _current_holder(_assessment(activation).organisation_id, Role.SECRETARY)

    def assign_reviewer(self, activation):
        """The leading organisation's secretary; a review office's officers take it from their queue."""
        org = _assessment(activation).organisation
        leading = org.leading
        if leading is None or leading.review_office_id:
            return None
        return _current_holder(leading, Role.SECRETARY)


class RectificationItemFlow(Flow):
    process_title = _("Rectification item")
    subject = "rectification_item"
    # the re-check's date is the task's own due date while the item waits for it (else the item's due date)
    inbox = InboxEntry(
        assessment="rectification_item__assessment", item="rectification_item", due="rectification_item__recheck_due"
    )
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.report)
    report = (
        nodes.Task(steps.ReportRectificationView.as_view())
        .Annotation(title=_("Report on the rectification item"))
        .Assign(lambda act: act.process.rectification_item.owner)
        .Step("rectificationitem.submit_report")
        .Next(this.check_reported)
    )
    check_reported = (
        nodes.If(lambda act: _item_state(act) == ItemState.EXTENSION_REQUESTED)
        .Annotation(title=_("Extension asked?"))
        .Then(this.decide_extension)
        .Else(this.verify)
    )
    decide_extension = (
        nodes.Task(steps.DecideExtensionView.as_view())
        .Annotation(title=_("Decide on the extension of a rectification item"))
        .Step("rectificationitem.grant_extension")
        .Next(this.report)
    )
    verify = (
        nodes.Task(steps.VerifyRectificationView.as_view())
        .Annotation(title=_("Verify the rectification item"))
        .Assign(lambda act: returning_reviewer(act.process.rectification_item))
        .Step("rectificationitem.verify")
        .Next(this.check_verified)
    )
    check_verified = (
        nodes.If(lambda act: _item_state(act) == ItemState.VERIFIED)
        .Annotation(title=_("Verified?"))
        .Then(this.await_recheck)
        .Else(this.report)
    )
    # 回头看: the sweep opens the re-check when the cycle's interval after verification has passed
    await_recheck = (
        nodes.Handle(this.recheck_falls_due).Annotation(title=_("Waiting for the re-check")).Next(this.recheck)
    )
    recheck = (
        nodes.Task(steps.RecheckRectificationView.as_view())
        .Annotation(title=_("Re-check the rectification item (回头看)"))
        .Step("rectificationrecheck.confirm")
        .Next(this.check_rechecked)
    )
    check_rechecked = (
        nodes.If(lambda act: _item_state(act) == ItemState.OPEN)
        .Annotation(title=_("Problem back?"))
        .Then(this.report)
        .Else(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, item):
        activation.process.save()
        item.process = activation.process
        item.save(update_fields=["process"])
        return activation.process

    def recheck_falls_due(self, activation):
        """Run by the sweep (`rechecks_open_due`) on the re-check's date."""


class GuidanceCommentFlow(Flow):
    process_title = _("Guidance comment")
    subject = "guidance_comment"
    inbox = InboxEntry(assessment="guidance_comment__assessment")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.comment)
    comment = (
        nodes.Task(steps.GuidanceCommentView.as_view())
        .Annotation(title=_("Comment as guiding organisation"))
        .Step("guidancecomment.comment")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, comment):
        activation.process.save()
        comment.process = activation.process
        comment.save(update_fields=["process"])
        return activation.process


class OverdueRectificationFlow(Flow):
    """An overdue rectification item goes to the oversight office, which proposes an accountability measure;
    a second officer approves it or not."""

    process_title = _("Overdue rectification")
    subject = "referral"
    inbox = InboxEntry(assessment="referral__item__assessment", item="referral__item")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.propose)
    propose = (
        nodes.Task(steps.ReferralProposeView.as_view())
        .Annotation(title=_("Overdue rectification: propose accountability"))
        .Step("referral.propose")
        .Next(this.decide)
    )
    decide = (
        nodes.Task(steps.ReferralDecideView.as_view())
        .Annotation(title=_("Overdue rectification: approve the measure"))
        .Step("referral.decide")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, referral):
        activation.process.save()
        referral.process = activation.process
        referral.save(update_fields=["process"])
        return activation.process


def _inspection_state(activation):
    return Inspection.objects.filter(process_id=activation.process.pk).values_list("state", flat=True).get()


class InspectionFlow(Flow):
    """One organisation drawn by a spot check: the lead inspector records the checklist and findings, the other
    inspectors sign in turn (any of them may send it back), then the oversight office decides on the findings."""

    process_title = _("Spot check")
    subject = "inspection"
    inbox = InboxEntry(inspection="inspection")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.record)
    record = (
        nodes.Task(inspection_steps.RecordInspectionView.as_view())
        .Annotation(title=_("Spot check: record the checklist and findings"))
        .Assign(lambda act: act.process.inspection.seats.order_by("position").first().inspector)
        .Step("inspection.submit")
        .Next(this.route)
    )
    sign = (
        nodes.Task(inspection_steps.SignInspectionView.as_view())
        .Annotation(title=_("Spot check: sign the record"))
        .Assign(lambda act: act.process.inspection.seats.filter(signed_at__isnull=True).first().inspector)
        .Step("inspection.sign")
        .Next(this.route)
    )
    route = (
        nodes.Switch()
        .Annotation(title=_("Signed by all?"))
        .Case(this.record, lambda act: _inspection_state(act) == InspectionState.RECORDING)
        .Case(this.sign, lambda act: _inspection_state(act) == InspectionState.SIGNING)
        .Default(this.review)
    )
    review = (
        nodes.Task(inspection_steps.ReviewInspectionView.as_view())
        .Annotation(title=_("Spot check: decide on the findings"))
        .Step("inspection.decide")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, inspection):
        activation.process.save()
        inspection.process = activation.process
        inspection.save(update_fields=["process"])
        return activation.process


class ObjectionFlow(Flow):
    """An objection (异议) raised while the results are published goes to the cycle's oversight office."""

    process_title = _("Objection to a published rating")
    subject = "objection"
    inbox = InboxEntry(assessment="objection__assessment")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.decide)
    decide = (
        nodes.Task(publication_steps.DecideObjectionView.as_view())
        .Annotation(title=_("Decide on an objection to a published rating"))
        .Step("objection.uphold")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, objection):
        activation.process.save()
        objection.process = activation.process
        objection.save(update_fields=["process"])
        return activation.process


class RatingSettlementFlow(Flow):
    """等次审定: before the ratings are published, the cycle's oversight office settles them under the cap."""

    process_title = _("Settling the ratings")
    subject = "rating_settlement"
    inbox = InboxEntry(cycle_of="rating_settlement")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.settle)
    settle = (
        nodes.Task(settlement_steps.SettleRatingsView.as_view())
        .Annotation(title=_("Settle the ratings of the cycle (等次审定)"))
        .Step("ratingsettlement.settle")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, settlement):
        activation.process.save()
        settlement.process = activation.process
        settlement.save(update_fields=["process"])
        return activation.process


class ReportMeetingFlow(Flow):
    """述职评议会: the holding level's office records that the meeting was held, closes the appraisal and confirms
    the results; the reporters' written reports and the leaders' comments run beside it as their own flows."""

    process_title = _("Report-and-review meeting")
    subject = "report_meeting"
    inbox = InboxEntry(cycle_of="report_meeting", run_by="report_meeting__office", about="report_meeting__holder")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.hold)
    hold = (
        nodes.Task(meeting_steps.HoldMeetingView.as_view())
        .Annotation(title=_("Report-and-review meeting: record that it was held"))
        .Step("reportmeeting.hold")
        .Next(this.close)
    )
    close = (
        nodes.Task(meeting_steps.CloseAppraisalView.as_view())
        .Annotation(title=_("Report-and-review meeting: close the appraisal"))
        .Step("reportmeeting.close_appraisal")
        .Next(this.confirm)
    )
    confirm = (
        nodes.Task(meeting_steps.ConfirmResultsView.as_view())
        .Annotation(title=_("Report-and-review meeting: confirm the results"))
        .Step("reportmeeting.confirm")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, meeting):
        activation.process.save()
        meeting.process = activation.process
        meeting.save(update_fields=["process"])
        return activation.process


class MeetingReportFlow(Flow):
    """A reporter's written 述职报告, due before the meeting; the holding level's office records its receipt."""

    process_title = _("Written report for a report-and-review meeting")
    subject = "meeting_reporter"
    inbox = InboxEntry(
        cycle_of="meeting_reporter__meeting",
        run_by="meeting_reporter__meeting__office",
        about="meeting_reporter__organisation",
        due="meeting_reporter__meeting__reports_due",
    )
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.report)
    report = (
        nodes.Task(meeting_steps.SubmitReportView.as_view())
        .Annotation(title=_("Submit the written report (述职报告)"))
        .Assign(lambda act: act.process.meeting_reporter.person)
        .Step("meetingreporter.submit_report")
        .Next(this.receive)
    )
    receive = (
        nodes.Task(meeting_steps.ReceiveReportView.as_view())
        .Annotation(title=_("Record the receipt of a written report (述职报告)"))
        .Step("meetingreporter.receive_report")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, reporter):
        activation.process.save()
        reporter.process = activation.process
        reporter.save(update_fields=["process"])
        return activation.process


class MeetingCommentFlow(Flow):
    """领导点评: the leader named for a reporter comments on them after the meeting is held."""

    process_title = _("Leader's comment on a reporter")
    subject = "meeting_comment"
    inbox = InboxEntry(
        cycle_of="meeting_comment__meeting",
        run_by="meeting_comment__meeting__office",
        about="meeting_comment__organisation",
    )
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.comment)
    comment = (
        nodes.Task(meeting_steps.CommentView.as_view())
        .Annotation(title=_("Comment on a reporter (领导点评)"))
        .Assign(lambda act: act.process.meeting_comment.commenter)
        .Step("meetingreporter.comment")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, reporter):
        activation.process.save()
        reporter.comment_process = activation.process
        reporter.save(update_fields=["comment_process"])
        return activation.process


class DutyListFlow(Flow):
    """责任清单: the organisation's secretary (or whoever acts for the post) confirms its duty list and yearly tasks;
    a list the oversight office returns starts this flow again."""

    process_title = _("Duty list")
    subject = "duty_list"
    inbox = InboxEntry(cycle_of="duty_list", about="duty_list__organisation")
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.confirm)
    confirm = (
        nodes.Task(duty_views.DutyListConfirmView.as_view())
        .Annotation(title=_("Confirm the duty list and yearly tasks (责任清单)"))
        .Assign(this.assign_confirmer)
        .Step("dutylist.confirm")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, duty_list):
        activation.process.save()
        duty_list.process = activation.process
        duty_list.save(update_fields=["process"])
        return activation.process

    def assign_confirmer(self, activation):
        return duty_rules.sole_confirmer(activation.process.duty_list.organisation)


class ConsolidationMilestoneFlow(Flow):
    """整顿: one milestone of a weak-and-lax organisation's consolidation plan; its secretary reports progress and
    that it is reached, by the milestone's due date (reminded and escalated by `consolidation.milestones_sweep`)."""

    process_title = _("Consolidation milestone")
    subject = "consolidation_milestone"
    inbox = InboxEntry(
        about="consolidation_milestone__plan__period__organisation",
        due="consolidation_milestone__due",
        run_by="consolidation_milestone__plan__office",
    )
    lock_impl = FLOW_LOCK

    start = nodes.StartHandle(this.start_flow).Next(this.report)
    report = (
        nodes.Task(consolidation_views.MilestoneReportView.as_view())
        .Annotation(title=_("Report on a consolidation milestone (整顿)"))
        .Assign(lambda act: _current_holder(act.process.consolidation_milestone.organisation, Role.SECRETARY))
        .Step("consolidationmilestone.complete")
        .Next(this.end)
    )
    end = nodes.End()

    def start_flow(self, activation, milestone):
        activation.process.save()
        milestone.process = activation.process
        milestone.save(update_fields=["process"])
        return activation.process


FLOWS = (
    AssessmentFlow,
    RectificationItemFlow,
    GuidanceCommentFlow,
    OverdueRectificationFlow,
    InspectionFlow,
    ObjectionFlow,
    RatingSettlementFlow,
    ReportMeetingFlow,
    MeetingReportFlow,
    MeetingCommentFlow,
    DutyListFlow,
    ConsolidationMilestoneFlow,
)
flows_register(*FLOWS)
