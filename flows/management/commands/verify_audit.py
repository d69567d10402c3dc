import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from flows.audit.verify import verify_chain

PROBLEMS = {
    "content": gettext_noop("content changed"),
    "hash": gettext_noop("hash changed"),
    "link": gettext_noop("link broken"),
    "gap": gettext_noop("gap in the sequence (deleted rows)"),
    "tail": gettext_noop("rows cut from the end"),
    "head": gettext_noop("recorded head does not match"),
    "anchor": gettext_noop("does not match the head recorded earlier"),
}


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain in sequence order and check every row's hash, every link and the recorded "
        "head. Exit status 0 when the chain is intact; 1 naming the first broken row."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect",
            metavar="SEQ:HASH",
            help="a head printed by an earlier run and kept outside the database: that row must still have that hash",
        )

    def handle(self, *args, expect=None, **options):
        anchor = None
        if expect:
            m = re.fullmatch(r"(\d+):([0-9a-f]{64})", expect.strip())
            if not m:
                raise CommandError(_("--expect takes SEQ:HASH, e.g. 1200:3f5a… (64 hex digits)."), returncode=2)
            anchor = (int(m[1]), m[2])
        report = verify_chain(expect=anchor)
        for line in report.warnings:
            self.stderr.write(self.style.WARNING(line))
        self.stdout.write(_("%(n)s audit rows verified.") % {"n": report.verified})
        b = report.broken
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
