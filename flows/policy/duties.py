"""Who may take the steps of a duty list (责任清单, issue 20), added to the one permission table
(`flows.policy.steps.STEPS`) under their step names, so the step service and the flow ask the same rule.

* `dutylist.confirm`: the organisation's secretary, or whoever acts for the post (an acting secretary is a
  secretary for their dates); where the secretary's post is vacant, the person in direct charge who presides
  (主持工作). A branch that has only a secretary: the secretary.
* `dutylist.edit`: the same, and the cycle's office (e.g. by importing a sheet of duty lines).
* `dutylist.return_list`: an officer of the cycle's own oversight office.
"""

import rules

from flows.models import Role, RoleAssignment, User
from flows.policy import access
from flows.policy.steps import STEPS


def confirmer_ids(org) -> set:
    """Who confirms the organisation's list today: its (acting) secretary, else the person in direct charge."""
    secretaries = set(
        RoleAssignment.objects.current().filter(organisation=org, role=Role.SECRETARY).values_list("user_id", flat=True)
    )
    if secretaries:
        return secretaries
    holder = access.in_direct_charge_ids([org.pk]).get(org.pk)
    return {holder} if holder else set()


def sole_confirmer(org):
    """The one person who confirms the list (the task goes to them), or None: the task waits in the pool."""
    ids = confirmer_ids(org)
    return User.objects.filter(pk=next(iter(ids))).first() if len(ids) == 1 else None


@rules.predicate
def list_holder(user, duty_list):
    return user is not None and user.is_authenticated and user.pk in confirmer_ids(duty_list.organisation)


@rules.predicate
def list_office(user, duty_list):
    return access.can_manage_cycle(user, duty_list.cycle)


DUTY_STEPS = {
    "dutylist.edit": list_holder | list_office,
    "dutylist.confirm": list_holder,
    "dutylist.return_list": list_office,
}

for _name, _rule in DUTY_STEPS.items():
    if not STEPS.rule_exists(_name):
        STEPS.add_rule(_name, _rule)
