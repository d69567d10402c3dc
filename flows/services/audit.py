"""Writing audit rows. Called by services inside their transaction, never after it.

A row is inserted unlinked and takes no lock on the audit chain, so a writer never waits on another writer's
transaction, however long; it is linked into the chain by a short step of its own once the transaction commits
(flows/audit/chain.py), and by `audit_link_pending` in the periodic sweeps for any row left waiting (a process
that died between its commit and its linking step)."""

from django.db import transaction

from flows.models import AuditEntry
from flows.models.audit import link_pending


def audit_record(*, actor, action: str, subject, from_value="", to_value="", comment="") -> AuditEntry:
    _in_transaction()
    entry = _entry(actor, action, subject, from_value=from_value, to_value=to_value, comment=comment)
    entry.save()
    return entry


def audit_records(*, actor, action: str, subject, to_values: list[str]) -> list[AuditEntry]:
    """One audit row per value, as `audit_record` writes each, in one INSERT (e.g. a file each of a batch of evidence
    attached in one save)."""
    _in_transaction()
    return AuditEntry.objects.bulk_create([_entry(actor, action, subject, to_value=value) for value in to_values])


def _in_transaction() -> None:
    assert transaction.get_connection().in_atomic_block, "audit rows are written inside the state change's transaction"


def _entry(actor, action: str, subject, *, from_value="", to_value="", comment="") -> AuditEntry:
    return AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        from_value=str(from_value or ""),
        to_value=str(to_value or ""),
        comment=comment,
    )


def audit_link_pending() -> int:
    """Link every committed audit row still waiting (the sweeps run it); returns how many were linked. Outside a
    transaction. It stops rather than wait while another linking step is at work (a big import's): the next sweep
    links what is left."""
    return link_pending(wait=False)
