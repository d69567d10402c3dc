"""The audit trail: who changed what, when, from which value to which, and why.

Append-only and hash-chained (flows/audit/chain.py): a row is written once, with its place in the chain, and never
changed or deleted — not through the ORM (save, delete, queryset update/delete refuse), not in the admin (read
only), and not in SQL while the database's triggers are in place (flows/audit/guard.py).
"""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows.audit import chain as audit_chain


class AppendOnlyError(RuntimeError):
    """A change or deletion of an audit row was asked for."""


def _refuse(what: str):
    if what == "change":
        raise AppendOnlyError(str(_("Audit entries are append-only: a recorded entry cannot be changed.")))
    raise AppendOnlyError(str(_("Audit entries are append-only: a recorded entry cannot be deleted.")))


class AuditQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Chained like single rows: the batch takes the chain head once and is hashed in Python."""
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise ValueError("audit rows are inserted exactly once, in chain order")
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            link_entries(objs, using=self.db)
            return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        _refuse("change")

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse("change")

    def delete(self):
        _refuse("delete")

    delete.alters_data = True
    delete.queryset_only = True

    def _raw_delete(self, using):
        _refuse("delete")


class AuditEntry(models.Model):
    seq = models.BigIntegerField(_("sequence number"), unique=True, editable=False)
    at = models.DateTimeField(_("time"), editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("actor")
    )
    action = models.CharField(_("action"), max_length=60)
    subject_type = models.CharField(_("subject type"), max_length=60)
    subject_id = models.CharField(_("subject id"), max_length=40)
    from_value = models.TextField(_("from"), blank=True)
    to_value = models.TextField(_("to"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_type}#{self.subject_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            _refuse("change")
        with transaction.atomic(using=kwargs.get("using") or self._state.db, savepoint=False):
            link_entries([self], using=kwargs.get("using"))
            kwargs["force_insert"] = True
            super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        _refuse("delete")

    delete.alters_data = True


class AuditHead(models.Model):
    """The end of the chain: the last seq and its hash, one row. Writers lock it to append (PostgreSQL); the
    database's insert trigger moves it forward. It also lets `verify_audit` notice rows cut from the tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")]

    def __str__(self):
        return f"{self.seq} {self.hash}"


# ---- appending to the chain (the pure rules of a row's form and hash are in flows/audit/chain.py) ----------


def head_take(using=None) -> tuple[int, str]:
    """The last seq and hash, locked for this transaction (the caller is inside one)."""
    heads = AuditHead.objects.using(using).select_for_update()
    head = heads.filter(pk=1).values_list("seq", "hash").first()
    if head is None:  # a new or flushed database: start the chain, unless rows are left without their head
        if AuditEntry.objects.using(using).exists():
            raise audit_chain.ChainHeadMissing(
                "The audit chain's head (flows_audithead) is missing while audit rows exist: "
                "run `manage.py verify_audit`."
            )
        AuditHead.objects.using(using).bulk_create(
            [AuditHead(pk=1, seq=0, hash=audit_chain.GENESIS)], ignore_conflicts=True
        )
        head = heads.filter(pk=1).values_list("seq", "hash").get()
    return head


def link(rows: list[tuple], using=None) -> list[tuple]:
    """Chain rows given as tuples in FIELDS order (time first): take the head and return each row followed by
    (seq, prev_hash, hash). Insert them, in this order, in the same transaction."""
    conn = transaction.get_connection(using)
    assert conn.in_atomic_block, "audit rows are chained inside the writing transaction"
    seq, prev = head_take(using)
    out = []
    for row in rows:
        seq += 1
        digest = audit_chain.row_hash(seq, *row, prev_hash=prev)
        out.append((*row, seq, prev, digest))
        prev = digest
    return out


def link_entries(entries, using=None) -> None:
    """Chain unsaved AuditEntry objects in place. Their time is set after the head is taken, so that time
    follows the chain."""
    conn = transaction.get_connection(using)
    assert conn.in_atomic_block, "audit rows are chained inside the writing transaction"
    if any(e.seq is not None for e in entries):
        raise ValueError("an audit entry is chained once, when it is written")
    if not entries:
        return
    seq, prev = head_take(using)
    now = timezone.now()
    for e in entries:
        if e.at is None:
            e.at = now
        for name in audit_chain.FIELDS[2:]:
            setattr(e, name, str(getattr(e, name) or ""))
        seq += 1
        e.seq, e.prev_hash = seq, prev
        e.hash = prev = audit_chain.row_hash(seq, *(getattr(e, name) for name in audit_chain.FIELDS), prev_hash=prev)
