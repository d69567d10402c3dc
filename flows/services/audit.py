"""Writing audit rows. Called by services inside their transaction, never after it."""

from django.db import transaction

from flows.models import AuditEntry


def audit_record(*, actor, action: str, subject, from_value="", to_value="", comment="") -> AuditEntry:
    conn = transaction.get_connection()
    assert conn.in_atomic_block, "audit rows are written inside the state change's transaction"
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        from_value=str(from_value or ""),
        to_value=str(to_value or ""),
        comment=comment,
    )
