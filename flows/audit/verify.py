"""Checking the audit chain (read only): walk the linked rows in seq order, a chunk at a time, recompute every hash
and check every link, then compare the last row with the recorded head; and look for rows left unlinked too long.

What it finds: a changed row (its content no longer hashes to its stored hash), a changed hash, a row re-hashed
after a change (the next row's link no longer matches), a deleted row (a gap in seq), rows cut from the tail
(the head records a later seq), a row added after the head, a missing head, and rows that have waited longer than
the grace period to be linked (a row is linked moments after its transaction commits, or by the next periodic
sweep; until it is linked, a change to it or its deletion would not show). What it cannot find on its own:
someone with write access to the database who rewrites a row AND re-hashes every row after it AND moves the head —
nothing inside the database can tell that from the truth. Keep the head printed by `verify_audit` somewhere else
(a report, a letter) and pass it back with `--expect SEQ:HASH`: a rewrite before that point then shows.

Rows linked while the walk runs are walked too: when the head has moved past the last row read, the walk goes on
from there before it compares.
"""

import datetime
import time
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.audit import chain as audit_chain

CHUNK = 2000
COLUMNS = ("id", "seq", *audit_chain.FIELDS, "prev_hash", "hash")
# A row is linked moments after its writer commits, or else by the next sweep (every 5 minutes): one waiting longer
# than two sweeps is a fault to look into. Its time is the writer's, taken before the commit, so a row of a long
# transaction can look old when it commits: rows found too old are looked at again SETTLE seconds later.
GRACE = datetime.timedelta(minutes=10)
SETTLE = 5.0


@dataclass
class Break:
    seq: int | None
    id: int | None
    at: object
    action: str
    problem: str  # "content", "hash", "link", "gap", "tail", "head", "anchor", "unlinked"
    detail: str


@dataclass
class ChainReport:
    verified: int = 0
    head_seq: int = 0
    head_hash: str = audit_chain.GENESIS
    broken: Break | None = None
    warnings: list[str] = field(default_factory=list)
    waiting: int = 0  # rows not yet linked, within the grace period

    @property
    def ok(self) -> bool:
        return self.broken is None


def _rows(chunk: int, after: int = 0):
    """Every linked row after seq `after` as a dict, in seq order: keyset pages of `chunk` rows, so memory stays
    bounded."""
    from flows.models import AuditEntry

    last = after
    while True:
        page = list(AuditEntry.objects.filter(seq__gt=last).order_by(F("seq").asc()).values(*COLUMNS)[:chunk])
        yield from page
        if len(page) < chunk:
            return
        last = page[-1]["seq"]


def _recomputed(row) -> str:
    return audit_chain.row_hash(row["seq"], *(row[name] for name in audit_chain.FIELDS), prev_hash=row["prev_hash"])


def _break(row, problem, detail) -> Break:
    return Break(row["seq"], row["id"], row["at"], row["action"], problem, detail)


def _unlinked(before=None, ids=None):
    from flows.models import AuditEntry

    rows = AuditEntry.objects.filter(seq__isnull=True)
    if before is not None:
        rows = rows.filter(at__lt=before)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows


def verify_chain(
    *,
    chunk: int = CHUNK,
    expect: tuple[int, str] | None = None,
    grace: datetime.timedelta = GRACE,
    settle: float | None = None,
) -> ChainReport:
    from django.db import connection

    from flows.audit import guard as audit_guard
    from flows.models.audit import AuditHead

    report = ChainReport()
    missing = audit_guard.missing(connection)
    if missing:
        report.warnings.append(
            _("The database's guard on the audit log is missing (%(names)s): rows can be changed in SQL unnoticed.")
            % {"names": ", ".join(missing)}
        )
    started, clock = timezone.now(), time.monotonic()
    overdue = list(_unlinked(before=started - grace).order_by("id").values_list("id", flat=True)[:1000])

    expected_seq, prev = 1, audit_chain.GENESIS
    pending = None  # a row whose hash does not match: the next row's link tells what was changed

    def judge_pending(next_prev):
        if next_prev == pending["recomputed"]:
            return _break(
                pending,
                "hash",
                _("its content still hashes to %(h)s, as the next row records: only the stored hash differs.")
                % {"h": pending["recomputed"]},
            )
        return _break(
            pending,
            "content",
            _("it now hashes to %(got)s, but %(stored)s was recorded.")
            % {"got": pending["recomputed"], "stored": pending["hash"]},
        )

    last = None
    while True:
        walked = 0
        for row in _rows(chunk, after=expected_seq - 1 if pending is None else pending["seq"]):
            walked += 1
            if pending is not None:
                report.broken = judge_pending(row["prev_hash"])
                return report
            if row["seq"] != expected_seq:
                report.broken = _break(
                    row,
                    "gap",
                    _("the rows %(first)s–%(last)s before it are missing.")
                    % {"first": expected_seq, "last": row["seq"] - 1},
                )
                return report
            if row["prev_hash"] != prev:
                report.broken = _break(
                    row,
                    "link",
                    _(
                        "it records %(got)s as the previous row's hash, but the previous row hashes to "
                        "%(want)s (one of the two rows was rewritten)."
                    )
                    % {"got": row["prev_hash"], "want": prev},
                )
                return report
            recomputed = _recomputed(row)
            if recomputed != row["hash"]:
                pending = {**row, "recomputed": recomputed}
                continue
            report.verified += 1
            expected_seq, prev, last = row["seq"] + 1, row["hash"], row
        head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
        read_up_to = pending["seq"] if pending is not None else expected_seq - 1
        if walked and head is not None and head[0] > read_up_to:
            continue  # rows were linked while the walk ran: walk them too
        break

    if pending is not None:
        report.broken = judge_pending(head[1] if head and head[0] == pending["seq"] else None)
        return report
    report.head_seq, report.head_hash = (last["seq"], last["hash"]) if last else (0, audit_chain.GENESIS)
    if head is None:
        if last is not None:
            report.broken = Break(
                None, None, None, "", "head", _("The chain's recorded head (flows_audithead) is missing.")
            )
            return report
    elif head[0] > report.head_seq:
        report.broken = Break(
            report.head_seq + 1,
            None,
            None,
            "",
            "tail",
            _("The last rows %(first)s–%(last)s are missing: the recorded head is row %(last)s.")
            % {"first": report.head_seq + 1, "last": head[0]},
        )
        return report
    elif tuple(head) != (report.head_seq, report.head_hash):
        detail = _("The recorded head (%(seq)s, %(hash)s) does not match the last row.") % {
            "seq": head[0],
            "hash": head[1],
        }
        report.broken = _break(last, "head", detail) if last else Break(None, None, None, "", "head", detail)
        return report
    if expect is not None:
        report.broken = _anchor(expect, report)
        if report.broken is not None:
            return report
    settle = SETTLE if settle is None else settle
    report.broken = _overdue(overdue, started - grace, settle - (time.monotonic() - clock))
    report.waiting = _unlinked().count()
    return report


def _overdue(ids, before, wait: float) -> Break | None:
    """Rows found unlinked past the grace period at the start, still unlinked a moment later (a row of a long
    transaction that has just committed is linked within that moment)."""
    if not ids:
        return None
    if wait > 0:
        time.sleep(wait)
    still = list(_unlinked(ids=ids).order_by("id").values("id", "at", "action"))
    if not still:
        return None
    oldest = min(still, key=lambda r: (r["at"], r["id"]))
    total = _unlinked(before=before).count()
    return Break(
        None,
        oldest["id"],
        oldest["at"],
        oldest["action"],
        "unlinked",
        _(
            "%(n)s audit rows written before %(time)s are still not linked into the chain (the oldest is id %(id)s): "
            "until they are linked, a change to them or their deletion would not show. Rows are linked when their "
            "transaction commits and by the periodic sweeps: run `manage.py run_sweeps`, then check again."
        )
        % {
            "n": max(total, len(still)),
            "time": timezone.localtime(before).strftime("%Y-%m-%d %H:%M:%S"),
            "id": oldest["id"],
        },
    )


def _anchor(expect, report) -> Break | None:
    """A head recorded earlier, outside the database: the row at that seq must still carry that hash."""
    from flows.models import AuditEntry

    seq, digest = expect
    row = AuditEntry.objects.filter(seq=seq).values(*COLUMNS).first()
    if row is None:
        return Break(
            seq, None, None, "", "anchor", _("Row %(seq)s, recorded earlier as the head, is missing.") % {"seq": seq}
        )
    if row["hash"] != digest:
        return _break(
            row,
            "anchor",
            _("Its hash is %(got)s, but %(want)s was recorded for it earlier: the chain was rewritten up to here.")
            % {"got": row["hash"], "want": digest},
        )
    return None
