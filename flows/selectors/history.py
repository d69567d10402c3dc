"""Human words for the audit trail: what each recorded action means, in the officials' terms."""

from django.utils.translation import gettext_lazy as _

from flows.flow_registry import registered_flows
from flows.models import (
    Classification,
    CommendationKind,
    Decision,
    InspectionState,
    ItemState,
    MeasureKind,
    Outcome,
    Rating,
    SettlementState,
    Severity,
    Stage,
)

ACTIONS = {
    "assessment.launch": _("Cycle launched"),
    "assessment.self_save": _("Self-assessment draft saved"),
    "assessment.submit_self": _("Self-assessment submitted"),
    "assessment.return_self": _("Self-assessment sent back"),
    "assessment.approve_self": _("Self-assessment approved by the secretary"),
    "assessment.close_mass": _("Mass evaluation closed"),
    "assessment.guidance_comment": _("Guiding organisation commented"),
    "assessment.review_save": _("Reviewer's scores saved"),
    "assessment.submit_review": _("Review submitted"),
    "assessment.decide_commendation": _("Commendation decided"),
    "assessment.finish_rectification": _("All rectification items verified"),
    "assessment.approve_accountability": _("Accountability measure approved"),
    "accountability.propose": _("Accountability measure proposed"),
    "accountability.reject": _("Accountability measure rejected"),
    "evidence.add": _("Evidence attached"),
    "task.claim": _("Task claimed"),
    "task.delegate": _("Task passed on by its holder"),
    "task.reassign": _("Task reassigned by the oversight office"),
    "task.handover": _("Task moved to the successor"),
    "rectification.owner_changed": _("Rectification item moved to the successor"),
    "deadline.escalate_secretary": _("Overdue: escalated to the secretary"),
    "deadline.escalate_office": _("Long overdue: escalated to the oversight office"),
    "campaign.create": _("Evaluation prepared"),
    "rectification.create": _("Rectification item listed"),
    "rectification.report": _("Rectification reported"),
    "rectification.verify": _("Rectification item verified"),
    "rectification.return": _("Rectification report returned"),
    "rectificationitem.request_extension": _("Extension of the due date requested"),
    "rectificationitem.grant_extension": _("Extension granted"),
    "rectificationitem.refuse_extension": _("Extension refused"),
    "assessment.reopen_rectification": _("Rectification reopened by a spot check"),
    "assessment.rating_lowered": _("Rating lowered after a spot check"),
    "inspection.finding": _("Finding recorded"),
    "inspection.finding_removed": _("Finding removed"),
    "inspection.submit": _("Record submitted and signed by the lead inspector"),
    "inspection.sign": _("Record signed"),
    "inspection.signed": _("Signed by every inspector"),
    "inspection.send_back": _("Record sent back to the lead inspector"),
    "inspection.decide": _("Findings decided by the oversight office"),
    "objection.raise": _("Objection to the published rating"),
    "objection.dismiss": _("Objection dismissed"),
    "assessment.rating_changed_on_objection": _("Rating changed after an objection"),
    "classification.record": _("Classified when the cycle closed"),
    "classification.correct": _("Classification corrected by the oversight office"),
    "weak_and_lax.designate": _("Put on the weak-and-lax list"),
    "weak_and_lax.lift": _("Taken off the weak-and-lax list"),
    "accountability.decide": _("Accountability measure decided"),
    "referral.propose": _("Accountability proposed for an overdue item"),
    "referral.decide": _("Accountability for an overdue item decided"),
    "assessment.social_score": _("Social evaluation entered"),
    "assessment.rating_settled": _("Rating lowered when the ratings were settled"),
    "ratingsettlement.start": _("Settling of the ratings started"),
    "ratingsettlement.settle": _("Ratings settled"),
    "ratingsettlement.reopen": _("Settling of the ratings reopened"),
    "meeting.create": _("Report-and-review meeting prepared"),
    "meeting.report": _("Written report submitted"),
    "meeting.report_received": _("Receipt of a written report recorded"),
    "meeting.excuse": _("Reporter excused from the meeting"),
    "reportmeeting.reports_in": _("Every written report submitted"),
    "reportmeeting.hold": _("Meeting recorded as held"),
    "meeting.paper_count": _("Paper count typed"),
    "meeting.paper_confirm": _("Paper count confirmed"),
    "meeting.comment": _("Leader's comment given"),
    "reportmeeting.close_appraisal": _("Appraisal closed"),
    "reportmeeting.confirm": _("Results confirmed"),
    "meeting.results": _("Each reporter's result recorded"),
    "meeting.result_follows": _("A secretary's result took in the organisation's result"),
    "classification.follow_rating": _("Classification follows the changed rating"),
    "publication.open": _("Results published"),
    "cycle.create": _("Review cycle created"),
    "cycle.open": _("Review cycle opened"),
    "cycle.close": _("Review cycle closed"),
    "campaign.issue_codes": _("Voting codes issued"),
    "campaign.leader_comment": _("Leader's comment added"),
    "campaign.weights": _("Voter group weights set"),
    "campaign.open": _("Voting opened"),
    "campaign.close": _("Voting closed"),
    "campaign.seal": _("Count sealed (digest of every ballot)"),
    "organisation.create": _("Organisation created"),
    "organisation.leading": _("Leading organisation changed"),
    "organisation.guide_add": _("Guiding organisation added"),
    "organisation.guide_remove": _("Guiding organisation removed"),
    "organisation.name": _("Name changed"),
    "organisation.sector": _("Sector changed"),
    "organisation.level": _("Level changed"),
    "organisation.kind": _("Kind changed"),
    "organisation.regime": _("Management regime changed"),
    "role.assign": _("Appointed"),
    "role.acting": _("Appointed to act (代理)"),
    "role.end": _("Left the post"),
    "person.title": _("Post title changed"),
    "office.join": _("Joined the oversight office"),
    "spotcheck.create": _("Spot check prepared"),
    "spotcheck.freeze": _("Population frozen and seed committed"),
    "spotcheck.draw": _("Sample drawn"),
    "spotcheck.cancel": _("Spot check cancelled"),
    "spotcheck.close": _("Spot check closed"),
    "template.create": _("Indicator template created"),
    "template.update": _("Indicator template changed"),
    "template.item": _("Indicator changed"),
    "template.new_version": _("New version of the indicator template"),
    "calendar.set": _("Local working day set"),
    "calendar.remove": _("Local working day removed"),
    "excel.import_upload": _("Excel file uploaded"),
    "excel.import_confirm": _("Excel import confirmed"),
    "excel.job_failed": _("Excel job failed"),
    "excel.job_given_up": _("Excel job given up"),
}
# who a task or item went to is in the row's comment, in words; its value is a person's id
PERSON_MOVES = ("task.delegate", "task.reassign", "task.handover", "rectification.owner_changed")
VALUES = {
    **dict(MeasureKind.choices),
    **dict(CommendationKind.choices),
    **dict(Decision.choices),
    **dict(Outcome.choices),
    **dict(SettlementState.choices),
    **dict(Stage.choices),
    **dict(Rating.choices),
    **dict(ItemState.choices),
    **dict(InspectionState.choices),
    **dict(Severity.choices),
    **dict(Classification.choices),
}


def _step_title(name: str) -> str:
    """A step (node) named in an audit row (a claimed task), by its title in the task lists."""
    for flow in registered_flows():
        node = getattr(flow, name, None)
        title = getattr(node, "task_title", None)
        if title:
            return str(title)
    return name


def describe(entry) -> tuple[str, str]:
    """(what happened, the new value in words) for one audit row; a code nobody has put into words stays as it is
    (a test checks there are none)."""
    action = str(ACTIONS.get(entry.action, entry.action))
    value = entry.to_value
    if entry.action == "task.claim":
        return action, _step_title(value)
    if entry.action in ("rectification.create", "assessment.self_save") or entry.action in PERSON_MOVES:
        value = ""
    return action, str(VALUES.get(value, value))
