"""Rectification lists (整改 sheet): each owner reports, in the ledger, what was done on their items.

A row names its item by the hidden key column. Reporting goes through the same service as the screen: only the
item's owner reports, only while it is being rectified; a report already made is left alone."""

from django.utils.translation import gettext as _

from flows.excel import reading
from flows.excel.import_rows import CHANGED, UNCHANGED, Importer
from flows.models import RectificationItem
from flows.models.state_groups import Phase, phase_of
from flows.policy import access
from flows.services import assessments as services

SHEETS = ("整改", "整改清单", "整改台账")
COLUMNS = [
    reading.Column("key", "整改编号", ("编号",), required=True),
    reading.Column("org", "组织名称"),
    reading.Column("problem", "存在问题", ("问题",)),
    reading.Column("owner", "责任人"),
    reading.Column("due", "完成时限"),
    reading.Column("report", "整改情况", ("整改落实情况",), required=True),
]


class RectificationImporter(Importer):
    kind = "rectification"

    def read(self, wb):
        self.table = reading.read_table(wb, SHEETS, COLUMNS, progress=self.progress)

    def plan(self, report):
        t = self.table
        keys = {}
        for n, rec in t.rows:
            k = reading.code(rec["key"])
            if not k.isdigit():
                report.error(t, n, "key", _("The key column of the template is missing or changed."))
                continue
            keys[n] = int(k)
        items = {
            i.pk: i
            for i in RectificationItem.objects.filter(pk__in=set(keys.values())).select_related(
                "assessment__organisation", "owner"
            )
        }
        steps = []
        for n, rec in t.rows:
            if n not in keys:
                continue
            item = items.get(keys[n])
            if item is None or not access.can_view_organisation(self.user, item.assessment.organisation):
                report.error(t, n, "key", _("No rectification item of yours has this key."))
                continue
            text = reading.text(rec["report"])
            if not text or text == reading.text(item.report):
                report.add(t.sheet, n, UNCHANGED, item.problem[:40])
                continue
            if phase_of(RectificationItem, item.state) != Phase.UNDER_WAY:  # reported, waiting, or done
                report.error(
                    t,
                    n,
                    "report",
                    _("This item was already reported (%(state)s); it cannot be reported again.")
                    % {"state": item.get_state_display()},
                )
                continue
            if item.owner_id != self.user.pk:
                report.error(
                    t, n, "report", _("Only the owner of the item, %(owner)s, reports on it.") % {"owner": item.owner}
                )
                continue
            report.add(t.sheet, n, CHANGED, f"{item.assessment.organisation.name}：{item.problem[:40]}")

            def step(item=item, text=text):
                services.rectification_report(item=item, by=self.user, report=text)

            steps.append((t.sheet, n, step))
        return steps
