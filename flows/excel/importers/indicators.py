"""Indicator templates (指标 sheet): one row per scoring item, grouped by template code and version.

Each row also carries its item's kind (常规项 / 加分项 / 扣分项) and its template's level, caps on bonus and
deduction points and whether it is scaled to 100; these template columns must agree on every row of a template.
A blank kind, cap or scale cell keeps what the template has (a regular item, no cap, not scaled when new), so an
older sheet without these columns imports as before.

Templates serve the whole office, so any oversight officer may import them; a template that an opened cycle
uses refuses every change (make a new version on the site first)."""

from django.utils.translation import gettext as _

from flows.domain import numbers
from flows.excel import choices, reading
from flows.excel.import_rows import CHANGED, NEW, UNCHANGED, Importer
from flows.models import IndicatorTemplate, Level, Sector
from flows.models.indicators import Dimension, Indicator, IndicatorKind
from flows.policy.access import scope_for
from flows.services import indicators as services

SHEETS = ("指标", "考核指标", "指标体系")
COLUMNS = [
    reading.Column("template_code", "模板编码", ("指标体系编码",), required=True),
    reading.Column("version", "版本"),
    reading.Column(
        "template_name",
        "模板名称",
        ("指标体系名称",),
        required=True,
        max_length=reading.field_length(IndicatorTemplate, "name"),
    ),
    reading.Column("sector", "领域"),
    reading.Column("level", "层级", ("适用层级",)),
    reading.Column("dimension_code", "维度编码", required=True),
    reading.Column(
        "dimension_name", "维度名称", ("维度",), required=True, max_length=reading.field_length(Dimension, "name")
    ),
    reading.Column("code", "指标编码", ("指标代码",), required=True),
    reading.Column(
        "name", "指标名称", ("考核内容", "指标"), required=True, max_length=reading.field_length(Indicator, "name")
    ),
    reading.Column("max_points", "分值", ("满分", "分值上限"), required=True),
    reading.Column("guidance", "评分标准", ("评分细则",)),
    reading.Column("evidence_required", "需佐证材料", ("佐证材料",)),
    reading.Column("veto", "一票否决"),
    reading.Column("kind", "指标类型", ("类型", "指标类别")),
    reading.Column("bonus_cap", "加分上限", ("加分封顶",)),
    reading.Column("deduction_cap", "扣分上限", ("扣分封顶",)),
    reading.Column("normalise", "折算为百分制", ("按百分制折算",)),
]
FIELDS = ("name", "max_points", "guidance", "evidence_required", "veto")
TEMPLATE_FIELDS = ("level", "bonus_cap", "deduction_cap", "normalise")
# the words on the sheet (also understood: the translated labels, the English ones and the stored values)
KIND_LABELS = {IndicatorKind.REGULAR: "常规项", IndicatorKind.BONUS: "加分项", IndicatorKind.DEDUCTION: "扣分项"}
KIND_ALIASES = {"常规": IndicatorKind.REGULAR, "基本项": IndicatorKind.REGULAR, "加分": IndicatorKind.BONUS}
KIND_ALIASES |= {"扣分": IndicatorKind.DEDUCTION, "减分项": IndicatorKind.DEDUCTION}
POINTS_HIGH = 100  # no single item or cap is worth more than the whole template


def kind_label(kind: str) -> str:
    return KIND_LABELS[IndicatorKind(kind)]


def _points(value, label: str):
    """Points (an item's maximum, a cap): 0 to 100, at most one decimal place, None when blank; `NotANumber`
    with the column named for anything else (NaN, infinities, exponents, hexadecimal...)."""
    if isinstance(value, str):
        value = reading.code(value).replace(",", "").removesuffix("分")
    return numbers.number_in(value, field=label, low=0, high=POINTS_HIGH, places=1)


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
        levels = choices.lookup(Level)
        kinds = choices.lookup(IndicatorKind) | {reading.label(v): k for k, v in KIND_LABELS.items()} | KIND_ALIASES
        labels = {c.key: c.label for c in COLUMNS}
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
            fields = {}
            level_text = reading.label(rec.get("level"))
            # blank: any level; a sheet without the column keeps the template's level
            fields["level"] = levels.get(level_text) if level_text else ("" if "level" in t.letters else None)
            if level_text and fields["level"] is None:
                report.error(
                    t,
                    n,
                    "level",
                    _("“%(value)s” is not one of: %(allowed)s.")
                    % {"value": level_text, "allowed": "、".join(choices.zh_labels(Level))},
                )
                ok = False
            for key in ("bonus_cap", "deduction_cap"):
                try:
                    fields[key] = _points(rec.get(key), labels[key])
                except numbers.NotANumber as exc:
                    report.error(t, n, key, exc.message)
                    ok = False
            try:
                fields["normalise"] = reading.yes_no(rec.get("normalise"))
            except ValueError:
                report.error(t, n, "normalise", _("Write 是 or 否."))
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
                points = _points(rec["max_points"], labels["max_points"])
                if points is None:
                    raise numbers.NotANumber(_("This column must be filled in."))
                item["max_points"] = points
            except numbers.NotANumber as exc:
                report.error(t, n, "max_points", exc.message)
                ok = False
            kind_text = reading.label(rec.get("kind"))
            item["kind"] = kinds.get(kind_text) if kind_text else None
            if kind_text and item["kind"] is None:
                report.error(
                    t,
                    n,
                    "kind",
                    _("“%(value)s” is not one of: %(allowed)s.")
                    % {"value": kind_text, "allowed": "、".join(KIND_LABELS.values())},
                )
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
            if ok and item["veto"] and item["kind"] not in (None, IndicatorKind.REGULAR):
                report.error(t, n, "kind", _("A veto item is neither a bonus nor a deduction item."))
                ok = False
            if not ok:
                continue
            g = groups.setdefault(
                (code, version),
                {
                    "name": reading.text(rec["template_name"]),
                    "sector": sector,
                    "items": [],
                    "rows": {},
                    "fields": {},
                    "field_rows": {},
                },
            )
            clash = False
            for key, value in fields.items():
                if value is None:
                    continue
                if key in g["fields"] and g["fields"][key] != value:
                    report.error(
                        t,
                        n,
                        key,
                        _("%(column)s differs from row %(row)s of the same template; write the same on every row.")
                        % {"column": labels[key], "row": g["field_rows"][key]},
                    )
                    clash = True
                elif key not in g["fields"]:
                    g["fields"][key], g["field_rows"][key] = value, n
            if clash:
                continue
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
            changed_any = changed_any or any(getattr(template, f) != v for f, v in g["fields"].items())
            # a change to the template's own columns (name, sector, level, caps, scaling) is a change of its first
            # row, so the preview shows it and it is confirmed like any other
            template_row_changed = template is not None and changed_any
            for i, (n, item) in enumerate(g["items"]):
                ind = existing.get(item["code"])
                if ind is None:
                    report.add(t.sheet, n, NEW, f"{code} {item['code']} {item['name']}")
                    changed_any = True
                elif (
                    any(getattr(ind, f) != item[f] for f in FIELDS)
                    or item["kind"] not in (None, ind.kind)
                    or (ind.dimension.code, ind.dimension.name) != (item["dimension_code"], item["dimension_name"])
                ):
                    report.add(t.sheet, n, CHANGED, f"{code} {item['code']} {item['name']}")
                    changed_any = True
                elif i == 0 and template_row_changed:
                    report.add(t.sheet, n, CHANGED, f"{code} {g['name']}")
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
                    fields=g["fields"],
                )

            steps.append((t.sheet, first_row, step))
        return steps
