"""The audit trail: who changed what, when, from which value to which, and why.

Append-only and hash-chained (flows/audit/chain.py): a row is written once, unlinked, inside its writer's
transaction; after that transaction commits, a short linking step of its own gives it its place in the chain
(seq, prev_hash, hash). Nothing else ever changes or deletes it — not through the ORM (save, delete, queryset
update/delete refuse), not in the admin (read only), and not in SQL while the database's triggers are in place
(flows/audit/guard.py).
"""

from functools import cache

from django.conf import settings
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows.audit import chain as audit_chain
from flows.models.compiled import CompiledQuery

LINK_CHUNK = 500  # rows linked per short transaction: the head is held for one chunk at a time


class AppendOnlyError(RuntimeError):
    """A change or deletion of an audit row was asked for."""


def _refuse(what: str):
    if what == "change":
        raise AppendOnlyError(str(_("Audit entries are append-only: a recorded entry cannot be changed.")))
    raise AppendOnlyError(str(_("Audit entries are append-only: a recorded entry cannot be deleted.")))


# An unlinked row (seq NULL) is newer than every linked one: it sorts after them by seq, whatever the database's
# own place for NULL (PostgreSQL puts it last going up, SQLite first), and among unlinked rows id decides.
_SEQ_ORDER = {
    "seq": (models.F("seq").asc(nulls_last=True), "id"),
    "-seq": (models.F("seq").desc(nulls_first=True), "-id"),
}


class AuditQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Inserted unlinked like single rows, and linked after the transaction commits."""
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise ValueError("audit rows are inserted exactly once")
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            prepare_entries(objs)
            made = super().bulk_create(objs, *args, **kwargs)
            link_after_commit(using=self.db).add(made)
            return made

    def order_by(self, *field_names):
        """`seq` and `-seq` put the rows not yet linked after (or before) the chain, on every database."""
        fields = []
        for f in field_names:
            fields.extend(_SEQ_ORDER.get(f, (f,)) if isinstance(f, str) else (f,))
        return super().order_by(*fields)

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
    # empty (NULL, "", "") from the insert until the linking step after commit fills them, once
    seq = models.BigIntegerField(_("sequence number"), unique=True, null=True, blank=True, editable=False)
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
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, default="", editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, default="", editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            # the rows waiting to be linked: few at any time, found without reading the log
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="flows_audit_unlinked"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_type}#{self.subject_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            _refuse("change")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            prepare_entries([self])
            kwargs["force_insert"] = True
            super().save(*args, **kwargs)
            link_after_commit(using=using).add([self])

    save.alters_data = True

    def delete(self, *args, **kwargs):
        _refuse("delete")

    delete.alters_data = True


class AuditHead(models.Model):
    """The end of the chain: the last linked seq and its hash, one row. The linking step locks it (PostgreSQL);
    the database's trigger moves it forward with every link. It also lets `verify_audit` notice rows cut from the
    tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")]

    def __str__(self):
        return f"{self.seq} {self.hash}"


# ---- writing: unlinked, inside the writer's transaction ------------------------------------------------------


def prepare_entries(entries) -> None:
    """Unsaved AuditEntry objects as they are inserted: their time (now, unless given) and their values as the
    strings the hash is taken over; seq, prev_hash and hash stay empty until they are linked."""
    if any(e.seq is not None or e.prev_hash or e.hash for e in entries):
        raise ValueError("an audit entry is linked into the chain after it is written, never by its writer")
    now = timezone.now()
    for e in entries:
        if e.at is None:
            e.at = now
        for name in audit_chain.FIELDS[2:]:
            setattr(e, name, str(getattr(e, name) or ""))


def link(rows: list[tuple], using=None) -> list[tuple]:
    """For writers that insert audit rows themselves (the Excel roster's COPY): rows given as tuples in FIELDS
    order, returned followed by (seq, prev_hash, hash) as they are inserted — empty, for they are linked after the
    transaction commits. Insert them in the same transaction."""
    conn = transaction.get_connection(using)
    assert conn.in_atomic_block, "audit rows are written inside the writing transaction"
    link_after_commit(using=using).everything = True  # their ids are not known here
    return [(*row, None, "", "") for row in rows]


class _Linker:
    """The linking step registered for one transaction's commit: it links the rows that transaction wrote (by id),
    or every committed unlinked row when their ids are not known (rows inserted by COPY)."""

    def __init__(self, alias: str):
        self.alias, self.ids, self.everything = alias, [], False
        self.__qualname__ = "link_after_commit"  # Django names a failed robust hook by it when it logs the failure

    def add(self, entries) -> None:
        ids = [e.pk for e in entries]
        if any(pk is None for pk in ids):
            self.everything = True
        else:
            self.ids.extend(ids)

    def __call__(self):
        if self.everything:
            link_pending(using=self.alias)
        else:
            link_rows(self.ids, using=self.alias)


def link_after_commit(using=None) -> _Linker:
    """The linking step that runs when this transaction commits (one per transaction, however many rows it writes):
    tell it the rows written (`add`). A step that fails is logged, not raised — the writer has committed — and the
    periodic sweep's step links the rows instead."""
    alias = using or router.db_for_write(AuditEntry)
    conn = transaction.get_connection(alias)
    if conn.in_atomic_block:
        for _savepoints, fn, _robust in conn.run_on_commit:
            if isinstance(fn, _Linker) and fn.alias == alias:
                return fn
    linker = _Linker(alias)
    transaction.on_commit(linker, using=alias, robust=True)
    return linker


# ---- linking: a short step of its own, after commit ------------------------------------------------------------
#
# Each step takes the chain head in a short transaction of its own and links at most one chunk, so it waits for
# nothing longer than another step's chunk (no writer holds the head at all). A writer's step links its own rows;
# the sweeps' step, and a writer whose row ids are unknown, link every committed row left waiting.


def link_rows(ids, using=None, *, chunk: int = LINK_CHUNK) -> int:
    """Link the rows of `ids` still unlinked (committed), in id order, a chunk per short transaction; returns how
    many. Outside a transaction."""
    alias = using or router.db_for_write(AuditEntry)
    ids = sorted(ids)
    linked = 0
    for i in range(0, len(ids), chunk):
        with transaction.atomic(using=alias):
            linked += _link_chunk(alias, chunk, ids=ids[i : i + chunk])
    return linked


def link_pending(using=None, *, chunk: int = LINK_CHUNK, wait: bool = True) -> int:
    """Link every committed unlinked row, in id order, a chunk per short transaction, until none is left; returns
    how many. Without `wait`, stop instead at a chunk whose head another step holds (PostgreSQL; that step links
    its own rows, and the next sweep whatever is left). Called outside a transaction (inside one, it runs when that
    one commits, and returns 0)."""
    alias = using or router.db_for_write(AuditEntry)
    if transaction.get_connection(alias).in_atomic_block:
        transaction.on_commit(lambda: link_pending(using=alias, chunk=chunk, wait=wait), using=alias, robust=True)
        return 0
    linked = 0
    while True:
        with transaction.atomic(using=alias):
            n = _link_chunk(alias, chunk, wait=wait)
        if n is None:
            return linked
        linked += n
        if n < chunk:
            return linked


def link_now(using=None, *, chunk: int = LINK_CHUNK) -> int:
    """Link every unlinked row this connection sees, inside its current transaction if it has one (its own rows
    included, and the chain head then held until that transaction ends): for tests and maintenance, never for a
    writer. Returns how many."""
    alias = using or router.db_for_write(AuditEntry)
    linked = 0
    while True:
        with transaction.atomic(using=alias):
            n = _link_chunk(alias, chunk)
        linked += n
        if n < chunk:
            return linked


def _link_chunk(alias: str, chunk: int, ids=None, *, wait: bool = True) -> int | None:
    """Inside a transaction: take the head, link up to `chunk` unlinked rows after it (of `ids`, if given) in id
    order, and return how many (None: the head is held by another step, and not `wait`)."""
    head = _head_take(alias, wait=wait)
    if head is None:
        return None
    seq, prev = head
    rows = AuditEntry.objects.using(alias).filter(seq__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    rows = list(rows.order_by("id").values_list("id", *audit_chain.FIELDS)[:chunk])
    if not rows:
        return 0
    links = audit_chain.links(seq, prev, rows)
    _write_links(alias, links)
    return len(links)


def _head_take(alias: str, *, wait: bool = True) -> tuple[int, str] | None:
    """The last seq and hash, locked for this transaction (PostgreSQL; on SQLite the IMMEDIATE transaction already
    holds the database's write lock). Without `wait`, None when another transaction holds it."""
    found = _head_locked(alias, wait)()
    if found:
        return found[0]
    heads = AuditHead.objects.using(alias).filter(pk=1)
    if not wait and heads.exists():
        return None
    # a new or flushed database: start the chain, unless linked rows are left without their head
    if AuditEntry.objects.using(alias).filter(seq__isnull=False).exists():
        raise audit_chain.ChainHeadMissing(
            "The audit chain's head (flows_audithead) is missing while linked audit rows exist: "
            "run `manage.py verify_audit`."
        )
    AuditHead.objects.using(alias).bulk_create(
        [AuditHead(pk=1, seq=0, hash=audit_chain.GENESIS)], ignore_conflicts=True
    )
    return heads.select_for_update().values_list("seq", "hash").get()


@cache
def _head_locked(alias: str, wait: bool) -> CompiledQuery:
    """The head's seq and hash, row-locked (compiled once per process: every write's linking step reads it)."""
    heads = AuditHead.objects.using(alias).filter(pk=1)
    return CompiledQuery(lambda: heads.select_for_update(skip_locked=not wait).values_list("seq", "hash"))


def _write_links(alias: str, links: list[tuple]) -> None:
    """Fill seq, prev_hash and hash of the rows, in seq order (the database's trigger checks that they continue
    the head, that nothing else changes, and moves the head)."""
    from django.db import connections

    conn = connections[alias]
    table = conn.ops.quote_name(AuditEntry._meta.db_table)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            ids, seqs, prevs, hashes = (list(column) for column in zip(*links, strict=True))
            cursor.execute(  # four arrays, not a VALUES list of the chunk's size to send and parse
                f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[]) AS v (id, seq, prev_hash, hash) "
                "WHERE e.id = v.id AND e.seq IS NULL",
                [ids, seqs, prevs, hashes],
            )
            done = cursor.rowcount
        else:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s AND seq IS NULL",  # noqa: S608
                [(seq, prev, digest, row_id) for row_id, seq, prev, digest in links],
            )
            done = cursor.rowcount
    if done != len(links):
        raise RuntimeError(f"linking {len(links)} audit rows changed {done}: the transaction is rolled back")
