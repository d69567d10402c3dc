import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from flows.audit.verify import GRACE, verify_chain
from flows.models import AuditEntry

PROBLEMS = {
    "content": gettext_noop("content changed"),
    "hash": gettext_noop("hash changed"),
    "link": gettext_noop("link broken"),
    "gap": gettext_noop("gap in the sequence (deleted rows)"),
    "tail": gettext_noop("rows cut from the end"),
    "head": gettext_noop("recorded head does not match"),
    "anchor": gettext_noop("does not match the head recorded earlier"),
    "unlinked": gettext_noop("rows left unlinked"),
}


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain in sequence order and check every row's hash, every link and the recorded "
        "head, and look for rows left unlinked past the grace period. Exit status 0 when the chain is intact; 1 "
        "naming the first broken row."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-file",
            metavar="FILE",
            help="a file of heads kept outside the database (printed on results, notices, certificates and Excel "
            "sheets): each line SEQ:HASH, or a printed line 审计链头 序号 SEQ，哈希 HASH; every one must still hold",
        )
        parser.add_argument(
            "--expect",
            action="append",
            metavar="SEQ:HASH",
            help="a head printed by an earlier run and kept outside the database: that row must still have that hash",
        )
        parser.add_argument(
            "--grace",
            metavar="MINUTES",
            type=float,
            default=GRACE.total_seconds() / 60,
            help="how long a written row may wait to be linked into the chain before it is reported (default 10)",
        )

    def handle(self, *args, expect=None, expect_file=None, grace=None, **options):
        anchors = []
        if isinstance(expect, str):  # call_command("verify_audit", expect="SEQ:HASH")
            expect = [expect]
        for text in expect or []:
            m = re.fullmatch(r"(\d+):([0-9a-f]{64})", text.strip())
            if not m:
                raise CommandError(_("--expect takes SEQ:HASH, e.g. 1200:3f5a… (64 hex digits)."), returncode=2)
            anchors.append((int(m[1]), m[2]))
        if expect_file:
            try:
                with open(expect_file, encoding="utf-8") as f:
                    lines = [line.strip() for line in f if line.strip()]
            except OSError as exc:
                raise CommandError(str(exc), returncode=2) from None
            for line in lines:
                m = re.search(r"(\d+)\s*(?::|·|，\s*哈希|,)\s*([0-9a-f]{64})", line)
                if not m:
                    raise CommandError(
                        _("%(file)s: not a head (SEQ:HASH): %(line)s") % {"file": expect_file, "line": line[:80]},
                        returncode=2,
                    )
                anchors.append((int(m[1]), m[2]))
        anchors.sort()
        anchor = anchors[-1] if anchors else None  # the latest head anchors the walk; the earlier ones are rows on it
        if grace is None or grace < 0:
            grace = GRACE.total_seconds() / 60
        report = verify_chain(expect=anchor, grace=datetime.timedelta(minutes=grace))
        for line in report.warnings:
            self.stderr.write(self.style.WARNING(line))
        self.stdout.write(_("%(n)s audit rows verified.") % {"n": report.verified})
        if report.waiting and report.ok:
            self.stdout.write(
                _(
                    "%(n)s audit rows just written are waiting to be linked into the chain (they are linked moments "
                    "after their transaction commits)."
                )
                % {"n": report.waiting}
            )
        b = report.broken
        if b is None:
            for seq, expected in anchors[:-1]:  # the walk proved the chain consistent: each earlier head is one row
                found = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
                if found != expected:
                    self.stdout.write(
                        _("Head %(seq)s:%(hash)s kept elsewhere no longer holds: the chain was rewritten.")
                        % {"seq": seq, "hash": expected}
                    )
                    raise CommandError(_("The audit chain is broken."), returncode=1)
            if anchors:
                self.stdout.write(_("%(n)s heads kept elsewhere still hold.") % {"n": len(anchors)})
        if b is not None:
            at = timezone.localtime(b.at).strftime("%Y-%m-%d %H:%M:%S") if b.at else "-"
            self.stdout.write(
                _("First broken row: seq %(seq)s, id %(id)s, time %(at)s, action %(action)s")
                % {"seq": b.seq if b.seq is not None else "-", "id": b.id or "-", "at": at, "action": b.action or "-"}
            )
            self.stdout.write(_("%(problem)s: %(detail)s") % {"problem": _(PROBLEMS[b.problem]), "detail": b.detail})
            raise CommandError(_("The audit chain is broken."), returncode=1)
        self.stdout.write(
            _("Head: seq %(seq)s, hash %(hash)s (keep it elsewhere and check later with --expect %(seq)s:%(hash)s)")
            % {"seq": report.head_seq, "hash": report.head_hash}
        )
        self.stdout.write(self.style.SUCCESS(_("The audit chain is intact.")))
