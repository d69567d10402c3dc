"""The one step service and the one permission table: every state change goes through `step_take`, which refuses a
stale page, a user the table refuses and unmet conditions, and writes the audit row in the same transaction."""

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import FSMField

from flows.models import AuditEntry, ReviewCycle, Role, Stage
from flows.policy import steps
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db

# Transitions only the system takes, as the consequence of another step; nobody may take them by hand.
SYSTEM_STEPS = {
    "assessment.finish_rectification",  # the last rectification item is verified
    "inspection.signed",  # the last inspector signs
    "spotcheckplan.close",  # the last inspection is decided
    "reportmeeting.reports_in",  # the last written report of a meeting arrives
}


def fsm_transitions():
    for model in apps.get_app_config("flows").get_models():
        for field in model._meta.fields:
            if isinstance(field, FSMField):
                for t in field.get_all_transitions(model):
                    yield model, t.name


def test_every_transition_has_a_rule_in_the_table_or_is_a_system_step():
    names = {f"{model._meta.model_name}.{name}" for model, name in fsm_transitions()}
    assert names, "the flows app has state machines"
    without_rule = {n for n in names if not steps.STEPS.rule_exists(n)}
    assert without_rule == SYSTEM_STEPS


def test_the_models_state_no_permission_of_their_own():
    """Who may take a step is said once, in the table: a `permission=` on a transition would be a second source."""
    for model, name in fsm_transitions():
        for field in model._meta.fields:
            if isinstance(field, FSMField):
                for t in field.get_all_transitions(model):
                    assert t.permission is None, f"{model.__name__}.{t.name} has its own permission"


def test_a_step_is_audited_with_from_and_to_in_the_callers_transaction(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    a.refresh_from_db()
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    before = AuditEntry.objects.count()
    with transaction.atomic():
        step_take(a, "approve_self", by=secretary, comment="同意")
        row = AuditEntry.objects.order_by("-seq").first()
        assert (row.action, row.from_value, row.to_value, row.comment, row.actor_id) == (
            "assessment.approve_self",
            Stage.SELF_APPROVAL,
            Stage.MASS_EVALUATION,
            "同意",
            secretary.pk,
        )
        transaction.set_rollback(True)
    assert AuditEntry.objects.count() == before
    a.refresh_from_db()
    assert a.state == Stage.SELF_APPROVAL


def test_refusals_stale_page_wrong_user_and_unmet_conditions(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    secretary = h.holder(h.VILLAGE, Role.SECRETARY)
    with transaction.atomic():
        with pytest.raises(AlreadyHandled):  # the draft is not waiting for approval
            step_take(a, "approve_self", by=secretary)
        with pytest.raises(PermissionDenied):  # the secretary does not draft when a deputy is in charge
            step_take(a, "submit_self", by=secretary)
        with pytest.raises(ValidationError):  # nothing scored yet
            step_take(a, "submit_self", by=deputy)
        with pytest.raises(PermissionDenied):  # not even the system may skip the table by naming nobody
            step_take(a, "submit_self", by=None)
    a.refresh_from_db()
    assert a.state == Stage.SELF_ASSESSMENT


def test_a_system_step_needs_no_rule_and_may_name_nobody(demo):
    cycle = h.open_cycle()
    assert cycle.state == "open"
    with transaction.atomic():
        c = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
        step_take(c, "close", by=None, system=True, action="cycle.close", params={"reason": "测试"})
        row = AuditEntry.objects.order_by("-seq").first()
        assert (row.action, row.actor_id, row.to_value) == ("cycle.close", None, "closed")
        transaction.set_rollback(True)


def test_the_table_and_the_task_agree(demo):
    """The flow asks the same rule as the service: whoever the node lets take the task may take the step."""
    from flows.flows import FLOWS
    from flows.nodes import Task

    named = set()
    for flow in FLOWS:
        for node in flow.instance.nodes():
            if isinstance(node, Task):
                assert node.step and steps.STEPS.rule_exists(node.step), f"{flow.__name__}.{node.name}"
                named.add(node.step)
    assert "assessment.submit_self" in named and "rectificationitem.grant_extension" in named
