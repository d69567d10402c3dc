"""Who may take the steps of a rectification item in depth (issue 20), added to the one permission table
(`flows.policy.steps.STEPS`) under their step names, so the step service and the flows ask the same rule.

* `rectificationitem.write_plan` / `rectificationitem.report_progress`: the item's owner, or the secretary
  (第一责任人) or the person in direct charge of the organisation whose item it is;
* `rectificationitem.reopen`, `rectificationrecheck.confirm` / `.reopen`: the reviewing side (the reviewer of the
  organisation: its leading organisation's secretary or review office), as for verifying the item.
"""

import rules

from flows.policy import access
from flows.policy.steps import STEPS, item_owner, reviewer


@rules.predicate
def item_organisation_leader(user, item):
    org = item.assessment.organisation
    return access.is_secretary(user, org) or access.is_in_direct_charge(user, org)


RECTIFICATION_STEPS = {
    "rectificationitem.write_plan": item_owner | item_organisation_leader,
    "rectificationitem.report_progress": item_owner | item_organisation_leader,
    "rectificationitem.reopen": reviewer,
    "rectificationrecheck.confirm": reviewer,
    "rectificationrecheck.reopen": reviewer,
}

for _name, _rule in RECTIFICATION_STEPS.items():
    if not STEPS.rule_exists(_name):
        STEPS.add_rule(_name, _rule)
