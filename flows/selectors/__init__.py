"""Reads for the screens (HackSoft's selectors: services write, selectors read), one module per area.

Each answers with a fixed number of queries whatever the tree's size. This package's namespace gathers the
everyday reads so that a screen says `selectors.organisation_page(...)`; the bigger reads live in modules of their
own and are imported by name (`selectors.inbox`, `selectors.dashboards`, `selectors.yearly`, ...).
"""

from flows.selectors.assessments import STAGE_STRIP, assessment_history, assessment_page, stage_due
from flows.selectors.cycles import (
    cycle_choices,
    cycle_rag,
    cycle_ranking,
    cycle_stage_counts,
    cycles_for,
    dashboard_cycles_for,
    organisation_assessments,
)
from flows.selectors.organisations import (
    SEARCH_LIMIT,
    breadcrumbs,
    current_roles,
    guidance_pairs,
    organisation_page,
    organisation_search,
    past_roles,
    person_page,
    subtree_counts_by_sector,
    tree_children,
    tree_roots,
)
from flows.selectors.spotchecks import inspection_page, plan_results, plan_strata, spot_checks_for, stratum_label
from flows.selectors.tasks import archive, queue, task_inspection, task_related, task_subject, task_url

__all__ = [
    "SEARCH_LIMIT",
    "STAGE_STRIP",
    "archive",
    "assessment_history",
    "assessment_page",
    "breadcrumbs",
    "current_roles",
    "cycle_choices",
    "cycle_rag",
    "cycle_ranking",
    "cycle_stage_counts",
    "cycles_for",
    "dashboard_cycles_for",
    "guidance_pairs",
    "inspection_page",
    "organisation_assessments",
    "organisation_page",
    "organisation_search",
    "past_roles",
    "person_page",
    "plan_results",
    "plan_strata",
    "queue",
    "spot_checks_for",
    "stage_due",
    "stratum_label",
    "subtree_counts_by_sector",
    "task_inspection",
    "task_related",
    "task_subject",
    "task_url",
    "tree_children",
    "tree_roots",
]
