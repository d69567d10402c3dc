"""The one way to change a state: every state machine of the project moves through `step_take`.

It checks, in this order, that the step can be taken from the current state (else the page was stale: someone
else moved it on), that the user may take it (the permission table in `flows.policy.steps`; a `system` step is
taken on nobody's behalf), and that its conditions hold; then it runs the transition, saves, and writes the audit
row (who, what, from, to, why) inside the caller's transaction. Completing the task and starting follow-up flows
is the caller's next line (`flows.services.workflow`).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from flows.policy import steps
from flows.services import counts
from flows.services.audit import audit_record
from flows.services.tasks import AlreadyHandled


def step_take(
    subject,
    step: str,
    *,
    by,
    system: bool = False,
    comment: str = "",
    action: str = "",
    audit_value: str | None = None,
    stale: Exception | None = None,
    refused: Exception | None = None,
    unmet: Exception | None = None,
    params: dict | None = None,
):
    """Take the transition `step` of `subject` as `by` and return what the transition returns.

    `action` names the audit row (default `<model>.<step>`); `audit_value` replaces the new state as the row's
    "to" value. `stale`, `refused` and `unmet` are the exceptions for a state that moved on, a user the table
    refuses, and conditions that do not hold (clear defaults otherwise). `params` go to the transition."""
    assert transaction.get_connection().in_atomic_block, "a step is taken inside the caller's transaction"
    method = getattr(subject, step)
    if not can_proceed(method, check_conditions=False):
        raise stale or AlreadyHandled()
    if not system and not steps.allows(by, steps.step_name(subject, step), subject):
        raise refused or PermissionDenied(_("Your role does not allow this step."))
    if not can_proceed(method):
        raise unmet or ValidationError(_("This step cannot be taken yet: something it needs is missing."))
    before = subject.state
    counted = counts.before_change(subject)  # the dashboard's counts move in this transaction too
    result = method(**(params or {}))
    subject.save()
    counts.after_change(subject, counted)
    audit_record(
        actor=None if system and by is None else by,
        action=action or steps.step_name(subject, step),
        subject=subject,
        from_value=before,
        to_value=subject.state if audit_value is None else audit_value,
        comment=comment,
    )
    return result
