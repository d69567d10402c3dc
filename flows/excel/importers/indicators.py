"""Indicator templates (指标 sheet): one row per scoring item, grouped by template code and version.

Templates serve the whole office, so any oversight officer may import them; a template that an opened cycle
uses refuses every change (make a new version on the site first)."""

from decimal import Decimal

from django.utils.translation import gettext as _

from flows.excel import choices, reading
from flows.excel.import_rows import CHANGED, NEW, UNCHANGED, Importer
from flows.models import IndicatorTemplate, Sector
from flows.policy.access import scope_for
from flows.services import indicators as services

SHEETS = ("指标", "考核指标", "指标体系")
COLUMNS = [
    reading.Column("template_code", "模板编码", ("指标体系编码",), required=True),
    reading.Column("version", "版本"),
    reading.Column("template_name", "模板名称", ("指标体系名称",), required=True),
    reading.Column("sector", "领域"),
    reading.Column("dimension_code", "维度编码", required=True),
    reading.Column("dimension_name", "维度名称", ("维度",), required=True),
    reading.Column("code", "指标编码", ("指标代码",), required=True),
    reading.Column("name", "指标名称", ("考核内容", "指标"), required=True),
    reading.Column("max_points", "分值", ("满分", "分值上限"), required=True),
    reading.Column("guidance", "评分标准", ("评分细则",)),
    reading.Column("evidence_required", "需佐证材料", ("佐证材料",)),
    reading.Column("veto", "一票否决"),
]
FIELDS = ("name", "max_points", "guidance", "evidence_required", "veto")


class IndicatorsImporter(Importer):
    kind = "indicators"

    def read(self, wb):
        self.table = reading.read_table(wb, SHEETS, COLUMNS, progress=self.progress)

    def plan(self, report):
        t = self.table
        scope = scope_for(self.user)
        if not (scope.superuser or scope.officer_paths):
            report.error(t.sheet, 0, "", _("Only oversight officers import indicator templates."))
            return []
        sectors = choices.lookup(Sector)
        groups: dict = {}
        for n, rec in t.rows:
            code = reading.code(rec["template_code"])
            ok = bool(code)
            if not code:
                report.error(t, n, "template_code", _("This column must be filled in."))
            try:
                version = reading.number(rec.get("version"))
                version = int(version) if version is not None else None
            except ValueError:
                report.error(t, n, "version", _("Enter a whole number."))
                ok = False
            sector_text = reading.label(rec.get("sector"))
            sector = sectors.get(sector_text, None) if sector_text else ""
            if sector is None:
                report.error(
                    t,
                    n,
                    "sector",
                    _("“%(value)s” is not one of: %(allowed)s.")
                    % {"value": sector_text, "allowed": "、".join(choices.zh_labels(Sector))},
                )
                ok = False
            item = {
                "dimension_code": reading.code(rec["dimension_code"]),
                "dimension_name": reading.text(rec["dimension_name"]),
                "code": reading.code(rec["code"]),
                "name": reading.text(rec["name"]),
                "guidance": reading.text(rec.get("guidance")),
            }
            for key in ("dimension_code", "dimension_name", "code", "name"):
                if not item[key]:
                    report.error(t, n, key, _("This column must be filled in."))
                    ok = False
            try:
                points = reading.number(rec["max_points"])
                if points is None or points < 0 or points.as_tuple().exponent < -1:
                    raise ValueError
                item["max_points"] = points.quantize(Decimal("0.1"))
            except (ValueError, ArithmeticError):
                report.error(t, n, "max_points", _("Enter points from 0 with at most one decimal place."))
                ok = False
            for key in ("evidence_required", "veto"):
                try:
                    item[key] = bool(reading.yes_no(rec.get(key)))
                except ValueError:
                    report.error(t, n, key, _("Write 是 or 否."))
                    ok = False
            if ok and item["veto"] and item["max_points"] != 0:
                report.error(t, n, "max_points", _("A veto item carries no points: write 0."))
                ok = False
            if not ok:
                continue
            g = groups.setdefault(
                (code, version), {"name": reading.text(rec["template_name"]), "sector": sector, "items": [], "rows": {}}
            )
            if item["code"] in g["rows"]:
                report.error(
                    t,
                    n,
                    "code",
                    _("Item %(code)s appears again (first in row %(row)s).")
                    % {"code": item["code"], "row": g["rows"][item["code"]]},
                )
                continue
            g["rows"][item["code"]] = n
            g["items"].append((n, item))
        steps = []
        for (code, version), g in groups.items():
            template = (
                IndicatorTemplate.objects.filter(code=code, version=version).first()
                if version
                else IndicatorTemplate.objects.filter(code=code).order_by("-version").first()
            )
            existing = {i.code: i for i in template.indicators.select_related("dimension")} if template else {}
            changed_any = template is None or (template.name, template.sector) != (g["name"], g["sector"])
            for n, item in g["items"]:
                ind = existing.get(item["code"])
                if ind is None:
                    report.add(t.sheet, n, NEW, f"{code} {item['code']} {item['name']}")
                    changed_any = True
                elif any(getattr(ind, f) != item[f] for f in FIELDS) or (ind.dimension.code, ind.dimension.name) != (
                    item["dimension_code"],
                    item["dimension_name"],
                ):
                    report.add(t.sheet, n, CHANGED, f"{code} {item['code']} {item['name']}")
                    changed_any = True
                else:
                    report.add(t.sheet, n, UNCHANGED, item["code"])
            if not changed_any:
                continue
            first_row = g["items"][0][0] if g["items"] else t.header_row
            if template is not None and template.is_frozen:
                report.error(
                    t,
                    first_row,
                    "template_code",
                    _(
                        "Template %(code)s v%(version)s is used by an opened review cycle; "
                        "make a new version to change it."
                    )
                    % {"code": code, "version": template.version},
                )
                continue

            def step(code=code, version=version, g=g):
                services.template_import(
                    by=self.user,
                    code=code,
                    version=version,
                    name=g["name"],
                    sector=g["sector"],
                    items=[i for _n, i in g["items"]],
                )

            steps.append((t.sheet, first_row, step))
        return steps
