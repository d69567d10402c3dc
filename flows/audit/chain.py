"""The audit log's hash chain: the canonical form of a row, its hash, and taking the chain head to append.

Every audit row carries a gap-free sequence number `seq` (1, 2, 3, …), the hash of the row before it
(`prev_hash`; GENESIS for seq 1) and its own `hash`:

    hash = SHA-256( UTF-8( JSON array, no spaces, non-ASCII kept as is:
        ["zrz-audit-v1", seq, time, actor_id, action, subject_type, subject_id, from_value, to_value, comment,
         prev_hash] ) )  as 64 lower-case hex digits

where time is the row's time in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six digits of microseconds),
actor_id is the user's id or null, and the other values are the stored strings. Anyone can recompute a row's
hash from the row alone with any JSON library and SHA-256.

Appending takes the chain head first: the one row of `AuditHead` (the last seq and hash), locked with
SELECT … FOR UPDATE on PostgreSQL until the transaction ends; on SQLite the IMMEDIATE transaction already holds
the database's write lock. The database's own trigger (flows/audit/guard.py) checks that each insert continues
the head and moves the head forward, so a write costs one extra small query (reading the head).
"""

import datetime
import functools
import hashlib
import json

from django.db import transaction

GENESIS = "0" * 64  # the prev_hash of the first row
VERSION = "zrz-audit-v1"
FIELDS = ("at", "actor_id", "action", "subject_type", "subject_id", "from_value", "to_value", "comment")


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder, not one per row


class ChainHeadMissing(RuntimeError):
    pass


@functools.lru_cache(maxsize=256)  # a batch shares one time
def utc_text(at: datetime.datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(seq: int, at, actor_id, action, subject_type, subject_id, from_value, to_value, comment, prev_hash):
    """The bytes a row's hash is taken over (see the module's docstring)."""
    return _encode(
        [
            VERSION,
            seq,
            utc_text(at),
            actor_id,
            action,
            subject_type,
            subject_id,
            from_value,
            to_value,
            comment,
            prev_hash,
        ]
    ).encode()


def row_hash(seq: int, *content, prev_hash: str) -> str:
    """`content` in FIELDS order."""
    return hashlib.sha256(canonical(seq, *content, prev_hash)).hexdigest()


def head_take(using=None) -> tuple[int, str]:
    """The last seq and hash, locked for this transaction (the caller is inside one)."""
    from flows.models.audit import AuditEntry, AuditHead

    heads = AuditHead.objects.using(using).select_for_update()
    head = heads.filter(pk=1).values_list("seq", "hash").first()
    if head is None:  # a new or flushed database: start the chain, unless rows are left without their head
        if AuditEntry.objects.using(using).exists():
            raise ChainHeadMissing(
                "The audit chain's head (flows_audithead) is missing while audit rows exist: "
                "run `manage.py verify_audit`."
            )
        AuditHead.objects.using(using).bulk_create([AuditHead(pk=1, seq=0, hash=GENESIS)], ignore_conflicts=True)
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
        digest = row_hash(seq, *row, prev_hash=prev)
        out.append((*row, seq, prev, digest))
        prev = digest
    return out


def link_entries(entries, using=None) -> None:
    """Chain unsaved AuditEntry objects in place. Their time is set after the head is taken, so that time
    follows the chain."""
    from django.utils import timezone

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
        for name in FIELDS[2:]:
            setattr(e, name, str(getattr(e, name) or ""))
        seq += 1
        e.seq, e.prev_hash = seq, prev
        e.hash = prev = row_hash(seq, *(getattr(e, name) for name in FIELDS), prev_hash=prev)
