"""The states of the state machines (and where a review's outcome leads): the choices of each model's protected
`state` field. Apart from the models so that the table of which states are open, waiting or done
(`state_groups.py`) can sit below the models that ask it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    SELF_APPROVAL = "self_approval", _("Secretary's approval")
    MASS_EVALUATION = "mass_evaluation", _("Mass evaluation")
    SUPERIOR_REVIEW = "superior_review", _("Superior review")
    COMMENDATION = "commendation", _("Commendation")
    RECTIFICATION = "rectification", _("Rectification")
    ACCOUNTABILITY = "accountability", _("Accountability")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    NONE = "none", _("No further action")
    COMMENDATION = "commendation", _("Commendation")
    RECTIFICATION = "rectification", _("Criticism and rectification with a deadline")
    ACCOUNTABILITY = "accountability", _("Accountability")


STAGE_OF_OUTCOME = {
    Outcome.NONE: Stage.CLOSED,
    Outcome.COMMENDATION: Stage.COMMENDATION,
    Outcome.RECTIFICATION: Stage.RECTIFICATION,
    Outcome.ACCOUNTABILITY: Stage.ACCOUNTABILITY,
}


class ItemState(models.TextChoices):
    OPEN = "open", _("Being rectified")
    REPORTED = "reported", _("Reported, awaiting verification")
    VERIFIED = "verified", _("Verified")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested, awaiting decision")


class RecheckState(models.TextChoices):  # issue 20: a verified item's re-check (回头看)
    SCHEDULED = "scheduled", _("Scheduled")
    CONFIRMED = "confirmed", _("Confirmed: the rectification holds")
    REOPENED = "reopened", _("Reopened: the problem is back")


class CycleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Voting")
    CLOSED = "closed", _("Closed")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    FROZEN = "frozen", _("Population frozen, seed committed")
    DRAWN = "drawn", _("Drawn; inspections under way")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class InspectionState(models.TextChoices):
    RECORDING = "recording", _("Inspecting")
    SIGNING = "signing", _("Awaiting the other inspectors' signatures")
    REVIEW = "review", _("With the oversight office")
    DONE = "done", _("Done")


class SettlementState(models.TextChoices):
    SETTLING = "settling", _("Ratings being settled")
    SETTLED = "settled", _("Ratings settled")


class RatingSource(models.TextChoices):
    SETTLEMENT = "settlement", _("Settling the ratings")
    SPOT_CHECK = "spot_check", _("Spot check")
    OBJECTION = "objection", _("Objection to a published rating")


class ObjectionState(models.TextChoices):
    OPEN = "open", _("Being handled")
    UPHELD = "upheld", _("Upheld: the rating was changed")
    DISMISSED = "dismissed", _("Dismissed")


class MeetingState(models.TextChoices):
    PREPARED = "prepared", _("Being prepared")
    REPORTS_SUBMITTED = "reports_submitted", _("Written reports submitted")
    HELD = "held", _("Meeting held")
    APPRAISAL_CLOSED = "appraisal_closed", _("Appraisal closed")
    CONFIRMED = "confirmed", _("Results confirmed")


class PersonResultSource(models.TextChoices):
    MEETING = "meeting", _("Report-and-review meeting")
    ORGANISATION = "organisation", _("The organisation's assessment")


class DutyListState(models.TextChoices):
    """An organisation's duty list for a cycle (责任清单, issue 20): drafted, then confirmed by its secretary."""

    DRAFT = "draft", _("Being drafted")
    CONFIRMED = "confirmed", _("Confirmed")


class ConsolidationState(models.TextChoices):
    """A weak-and-lax organisation's consolidation plan (整顿方案, issue 20)."""

    DRAFT = "draft", _("Plan being drawn up")
    UNDER_WAY = "under_way", _("Consolidation under way")
    ACCEPTED = "accepted", _("Passed the acceptance check")
    LIFTED = "lifted", _("Designation lifted")


class MilestoneState(models.TextChoices):
    """One milestone of a consolidation plan (issue 20)."""

    OPEN = "open", _("Being worked on")
    DONE = "done", _("Reported done")
