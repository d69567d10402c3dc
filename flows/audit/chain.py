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
