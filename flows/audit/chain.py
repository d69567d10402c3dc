"""The audit log's hash chain: the canonical form of a row, its hash, and how rows are appended.

Every linked audit row carries a gap-free sequence number `seq` (1, 2, 3, …), the hash of the row before it
(`prev_hash`; GENESIS for seq 1) and its own `hash`:

    hash = SHA-256( UTF-8( JSON array, no spaces, non-ASCII kept as is:
        ["zrz-audit-v1", seq, time, actor_id, action, subject_type, subject_id, from_value, to_value, comment,
         prev_hash] ) )  as 64 lower-case hex digits

where time is the row's time in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six digits of microseconds),
actor_id is the user's id or null, and the other values are the stored strings. Anyone can recompute a row's
hash from the row alone with any JSON library and SHA-256.

Appending is two steps, so that no writer waits on another writer's transaction:

1. The writer inserts its rows *unlinked* (no seq, empty prev_hash and hash) inside its own transaction. It takes
   no lock on the chain: a long import holds nothing that a claim or an approval needs.
2. Linking, a short step of its own (flows/models/audit.py), runs when the writer's transaction commits: in a
   short transaction of its own it takes the chain head (the one row of `AuditHead`, the last seq and hash;
   SELECT … FOR UPDATE on PostgreSQL, the IMMEDIATE transaction's write lock on SQLite), reads that writer's rows
   in id order, at most one chunk, gives each its seq, prev_hash and hash, and commits; then the next chunk. Only
   linking steps take the head, each for one chunk, so none waits longer than another's chunk. The periodic
   sweeps (and a writer that inserts by COPY, whose row ids it does not know) link every committed row left
   waiting, in id order, the same way.

So `seq` is the order in which rows were committed and linked, and `time` is the writer's clock when it wrote the
row: a row of a long transaction can carry an earlier time than the row linked before it. The database's own
triggers (flows/audit/guard.py) accept an insert only unlinked, a link only when it continues the recorded head
and leaves the row's content as it was, and move the head forward; nothing else may change or delete a row.
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


def links(seq: int, prev_hash: str, rows) -> list[tuple]:
    """Chain `rows`, each (id, *content in FIELDS order), after the head (seq, prev_hash): (id, seq, prev_hash,
    hash) for each, in the given order."""
    out = []
    for row_id, *content in rows:
        seq += 1
        digest = row_hash(seq, *content, prev_hash=prev_hash)
        out.append((row_id, seq, prev_hash, digest))
        prev_hash = digest
    return out
