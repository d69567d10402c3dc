"""Checking the audit chain (read only): walk the rows in seq order, a chunk at a time, recompute every hash and
check every link, then compare the last row with the recorded head.

What it finds: a changed row (its content no longer hashes to its stored hash), a changed hash, a row re-hashed
after a change (the next row's link no longer matches), a deleted row (a gap in seq), rows cut from the tail
(the head records a later seq), a missing head. What it cannot find on its own: someone with write access to the
database who rewrites a row AND re-hashes every row after it AND moves the head — nothing inside the database
can tell that from the truth. Keep the head printed by `verify_audit` somewhere else (a report, a letter) and
pass it back with `--expect SEQ:HASH`: a rewrite before that point then shows.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from flows.audit import chain as audit_chain

CHUNK = 2000
COLUMNS = ("id", "seq", *audit_chain.FIELDS, "prev_hash", "hash")


@dataclass
class Break:
    seq: int | None
    id: int | None
    at: object
    action: str
    problem: str  # "content", "hash", "link", "gap", "tail", "head", "anchor"
    detail: str


@dataclass
class ChainReport:
    verified: int = 0
    head_seq: int = 0
    head_hash: str = audit_chain.GENESIS
    broken: Break | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None


def _rows(chunk: int):
    """Every row as a dict, in seq order: keyset pages of `chunk` rows, so memory stays bounded."""
    from flows.models import AuditEntry

    last = 0
    while True:
        page = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq").values(*COLUMNS)[:chunk])
        yield from page
        if len(page) < chunk:
            return
        last = page[-1]["seq"]


def _recomputed(row) -> str:
    return audit_chain.row_hash(row["seq"], *(row[name] for name in audit_chain.FIELDS), prev_hash=row["prev_hash"])


def _break(row, problem, detail) -> Break:
    return Break(row["seq"], row["id"], row["at"], row["action"], problem, detail)


def verify_chain(*, chunk: int = CHUNK, expect: tuple[int, str] | None = None) -> ChainReport:
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
    for row in _rows(chunk):
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
    return report


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
