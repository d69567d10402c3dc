"""Who may do what in the consolidation of a weak-and-lax organisation (issue 20).

* The office of the organisation's superior level (an oversight office whose scope is a level above the
  organisation, never the organisation's own) designates, draws up the plan, records the acceptance check and
  lifts the designation.
* The organisation's secretary reports progress against the milestones.
* The responsible leader (联系领导) and the work team see the whole consolidation; so do the leaders of the
  organisation and of the levels above it (who may act on it).

The steps are added to the one permission table (`flows.policy.steps.STEPS`) here, beside their predicates.
"""

import rules

from flows.policy import access, steps


def superior_office(user, org) -> bool:
    """An officer of an oversight office whose scope lies above `org` (not the organisation's own office)."""
    scope = access.scope_for(user)
    return scope.superuser or any(org.path.startswith(p) and p != org.path for p in scope.officer_paths)


def may_see(user, plan_or_period) -> bool:
    period = getattr(plan_or_period, "period", plan_or_period)
    org = period.organisation
    if superior_office(user, org) or access.can_act_on_organisation(user, org):
        return True
    plan = getattr(period, "plan", None) if not hasattr(plan_or_period, "period") else plan_or_period
    if plan is None or not getattr(user, "is_authenticated", False):
        return False
    return plan.leader_id == user.pk or plan.team.filter(person_id=user.pk).exists()


def may_report(user, org) -> bool:
    return access.is_secretary(user, org)


@rules.predicate
def plan_office(user, plan):
    return superior_office(user, plan.period.organisation)


@rules.predicate
def milestone_secretary(user, milestone):
    return may_report(user, milestone.plan.period.organisation)


for _name, _rule in {
    "consolidationplan.start": plan_office,
    "consolidationplan.accept": plan_office,
    "consolidationplan.lift": plan_office,
    "consolidationmilestone.complete": milestone_secretary,
}.items():
    if not steps.STEPS.rule_exists(_name):
        steps.STEPS.add_rule(_name, _rule)
