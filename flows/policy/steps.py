"""Who may take each step: the one table, read by the flows (who sees an unassigned task and may take it) and by
the step service (who may change a state). Nothing else decides it.

A step is named `<model>.<step>`: for a state change, the model's name and its transition (`assessment.submit_self`,
`rectificationitem.verify`); for a task that changes no state of its own, the flow's subject and the task's word
(`assessment.propose_accountability`, `guidancecomment.comment`). Each rule is a predicate of the `rules` package,
`(user, subject) -> bool`, composed with `&`, `|` and `~`; the subject is the object whose step it is.

A step missing from the table is refused to everyone; only the system (a deadline, a closed ballot, a finished
list) may take it, and the step service says so by its `system=True`.
"""

import rules

from flows.models import LEADERSHIP_ROLES, RoleAssignment
from flows.policy import access

# ---- predicates: (user, subject) -------------------------------------------------------------------------------


@rules.predicate
def in_direct_charge(user, assessment):
    """分管领导 · 直接责任人 of the assessed organisation."""
    return access.is_in_direct_charge(user, assessment.organisation)


@rules.predicate
def secretary(user, assessment):
    """书记 · 第一责任人 of the assessed organisation."""
    return access.is_secretary(user, assessment.organisation)


@rules.predicate
def reviewer(user, subject):
    """The reviewer of the organisation (its leading organisation's secretary or review office); the subject is an
    assessment or something that belongs to one."""
    return access.is_reviewer(user, _assessment(subject).organisation)


@rules.predicate
def overseer(user, subject):
    """An officer of an oversight office whose scope holds the organisation."""
    return access.can_oversee_organisation(user, _assessment(subject).organisation)


@rules.predicate
def item_owner(user, item):
    return user.pk == item.owner_id


@rules.predicate
def not_the_reporter(user, item):
    """The four-eyes rule of rectification: whoever reported an item never verifies it."""
    return user.pk != item.reported_by_id


@rules.predicate
def not_the_proposer(user, assessment):
    """A second oversight officer decides on a proposed accountability measure."""
    return not assessment.accountability_measures.filter(decision="", proposed_by=user).exists()


@rules.predicate
def guide_leader(user, comment):
    """A leader of the guiding organisation comments; never decides."""
    return (
        RoleAssignment.objects.current()
        .filter(user=user, organisation_id=comment.guide_id, role__in=LEADERSHIP_ROLES)
        .exists()
    )


@rules.predicate
def referral_overseer(user, referral):
    return access.can_oversee_organisation(user, referral.item.assessment.organisation)


@rules.predicate
def measure_proposed_by_another(user, referral):
    return referral.measure is not None and referral.measure.proposed_by_id != user.pk


@rules.predicate
def lead_inspector(user, inspection):
    return inspection.lead_id() == user.pk


@rules.predicate
def unsigned_inspector(user, inspection):
    return inspection.seats.filter(inspector_id=user.pk, signed_at__isnull=True).exists()


@rules.predicate
def plan_officer(user, subject):
    """An officer of the spot-check plan's office (the subject is the plan or one of its inspections)."""
    plan = getattr(subject, "plan", subject)
    return access.can_run_spot_check(user, plan)


@rules.predicate
def cycle_officer(user, subject):
    """An officer of the cycle's own office (the subject is the cycle, its settling of the ratings, or an objection
    to its published results)."""
    cycle = subject.publication.cycle if hasattr(subject, "publication") else getattr(subject, "cycle", subject)
    return access.can_manage_cycle(user, cycle)


@rules.predicate
def campaign_officer(user, campaign):
    return access.can_run_campaign(user, campaign)


@rules.predicate
def meeting_officer(user, subject):
    """An officer of the office of the level holding the meeting (the subject is the meeting or a reporter)."""
    return access.can_run_meeting(user, getattr(subject, "meeting", subject))


@rules.predicate
def the_reporter(user, reporter):
    return user.pk == reporter.person_id


@rules.predicate
def the_commenting_leader(user, reporter):
    return user.pk == reporter.commenter_id


@rules.predicate
def not_the_typist(user, reporter):
    """Four eyes on a paper count: whoever typed it does not confirm it."""
    return reporter.paper_entered_by_id != user.pk


def _assessment(subject):
    return getattr(subject, "assessment", subject)


# ---- the table ---------------------------------------------------------------------------------------------------

STEPS = rules.RuleSet()
for name, rule in {
    # one organisation's year
    "assessment.submit_self": in_direct_charge,
    "assessment.approve_self": secretary,
    "assessment.return_self": secretary,
    "assessment.close_mass": overseer,
    "assessment.submit_review": reviewer,
    "assessment.decide_commendation": overseer,
    "assessment.propose_accountability": overseer,
    "assessment.approve_accountability": overseer & not_the_proposer,
    "assessment.reopen_rectification": overseer,
    # assessment.finish_rectification: the system, when the last item is verified
    # a rectification item
    "rectificationitem.submit_report": item_owner,
    "rectificationitem.verify": reviewer & not_the_reporter,
    "rectificationitem.return_report": reviewer & not_the_reporter,
    "rectificationitem.request_extension": item_owner,
    "rectificationitem.grant_extension": reviewer,
    "rectificationitem.refuse_extension": reviewer,
    # a guiding organisation's comment
    "guidancecomment.comment": guide_leader,
    # an overdue item referred to the oversight office
    "referral.propose": referral_overseer,
    "referral.decide": referral_overseer & measure_proposed_by_another,
    # spot checks
    "spotcheckplan.freeze": plan_officer,
    "spotcheckplan.draw": plan_officer,
    "spotcheckplan.cancel": plan_officer,
    "inspection.submit": lead_inspector,
    "inspection.sign": unsigned_inspector,
    "inspection.send_back": unsigned_inspector,
    "inspection.decide": plan_officer,
    # spotcheckplan.close, inspection.signed: the system, when the last inspection is decided / signed
    # objections to published results
    "objection.uphold": cycle_officer,
    "objection.dismiss": cycle_officer,
    # settling a cycle's ratings (等次审定)
    "ratingsettlement.settle": cycle_officer,
    "ratingsettlement.reopen": cycle_officer,
    # report-and-review meetings (述职评议考核); reportmeeting.reports_in: the system, when the last report is in
    "reportmeeting.hold": meeting_officer,
    "reportmeeting.close_appraisal": meeting_officer,
    "reportmeeting.confirm": meeting_officer,
    "meetingreporter.submit_report": the_reporter,
    "meetingreporter.receive_report": meeting_officer,
    "meetingreporter.excuse": meeting_officer,
    "meetingreporter.comment": the_commenting_leader,
    "meetingreporter.paper_enter": meeting_officer,
    "meetingreporter.paper_confirm": meeting_officer & not_the_typist,
    # cycles and evaluations
    "reviewcycle.open": cycle_officer,
    "reviewcycle.close": cycle_officer,
    "campaign.open": campaign_officer,
    "campaign.close": campaign_officer,
}.items():
    STEPS.add_rule(name, rule)


def allows(user, step: str, subject) -> bool:
    """May `user` take `step` on `subject`? An unknown step, or nobody logged in: no."""
    if user is None or not getattr(user, "is_authenticated", False) or not STEPS.rule_exists(step):
        return False
    return STEPS.test_rule(step, user, subject)


def step_name(subject, step: str) -> str:
    return f"{subject._meta.model_name}.{step}"
