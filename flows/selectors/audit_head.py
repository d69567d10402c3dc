"""The end of the audit chain as it stands (issue 22, "the audit head on paper"): printed on what the product hands
out — the footer of every printed Excel sheet, the public draw notice and certificate, a closed count's seal — so
that a head kept outside the database can later be given to `verify_audit --expect`."""

from flows.models import AuditEntry
from flows.models.audit import AuditHead


def audit_head() -> tuple[int, str] | None:
    """(seq, hash) of the last linked audit entry, or None while the chain is empty."""
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    if head and head[0]:
        return head
    return AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()


def audit_head_text() -> str:
    """The head as printed: 审计链头 序号 1234，哈希 <hash>; empty while the chain is empty. (Words between the two,
    not a dot: a font without the middle dot prints 1234 and the hash run together.)"""
    head = audit_head()
    return f"审计链头 序号 {head[0]}，哈希 {head[1]}" if head else ""
