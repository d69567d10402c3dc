"""Indicator templates: loading the defaults, and new versions of a template a cycle has frozen."""

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from flows.domain import numbers
from flows.models import Dimension, Indicator, IndicatorTemplate
from flows.models.indicators import HUNDRED, IndicatorKind
from flows.services.audit import audit_record

DEFAULTS_FILE = Path(settings.BASE_DIR) / "fixtures" / "templates" / "indicators.json"
TEMPLATE_FIELDS = ("level", "bonus_cap", "deduction_cap", "normalise")  # besides name and sector
ITEM_FIELDS = ("name", "max_points", "guidance", "evidence_required", "veto", "kind")


@transaction.atomic
def templates_load_defaults(*, by=None, path: Path = DEFAULTS_FILE) -> int:
    """Create the default templates (each at the version the file gives, 1 unless said) that do not exist yet;
    returns how many were created."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    created = 0
    for t in data["templates"]:
        version = int(t.get("version", 1))
        if IndicatorTemplate.objects.filter(code=t["code"], version=version).exists():
            continue
        template = IndicatorTemplate.objects.create(
            code=t["code"],
            version=version,
            name=t["name"],
            sector=t["sector"],
            level=t.get("level", ""),
            bonus_cap=numbers.plain_decimal(t.get("bonus_cap", 0)),
            deduction_cap=numbers.plain_decimal(t.get("deduction_cap", 0)),
            normalise=bool(t.get("normalise")),
        )
        order = 0
        for d_order, d in enumerate(t["dimensions"]):
            dim = Dimension.objects.create(template=template, code=d["code"], name=d["name"], order=d_order)
            for item in d["items"]:
                order += 1
                Indicator.objects.create(
                    template=template,
                    dimension=dim,
                    code=item["code"],
                    name=item["name"],
                    max_points=numbers.plain_decimal(item["max_points"]),
                    guidance=item.get("guidance", ""),
                    evidence_required=bool(item.get("evidence_required")),
                    veto=bool(item.get("veto")),
                    kind=item.get("kind", IndicatorKind.REGULAR),
                    order=order,
                )
        audit_record(actor=by, action="template.create", subject=template, to_value=f"{template.code} v{version}")
        created += 1
    return created


@transaction.atomic
def template_new_version(*, by, template: IndicatorTemplate) -> IndicatorTemplate:
    """Copy a template to the next version number, free to edit until a cycle opens with it."""
    latest = IndicatorTemplate.objects.filter(code=template.code).order_by("-version").first()
    new = IndicatorTemplate.objects.create(
        code=template.code,
        version=latest.version + 1,
        name=template.name,
        sector=template.sector,
        **{f: getattr(template, f) for f in TEMPLATE_FIELDS},
    )
    dims = {}
    for d in template.dimensions.all():
        dims[d.pk] = Dimension.objects.create(template=new, code=d.code, name=d.name, order=d.order)
    Indicator.objects.bulk_create(
        [
            Indicator(
                template=new,
                dimension=dims[i.dimension_id],
                code=i.code,
                name=i.name,
                max_points=i.max_points,
                guidance=i.guidance,
                evidence_required=i.evidence_required,
                veto=i.veto,
                kind=i.kind,
                order=i.order,
            )
            for i in template.indicators.all()
        ]
    )
    audit_record(
        actor=by, action="template.new_version", subject=new, from_value=template.version, to_value=new.version
    )
    return new


@transaction.atomic
def template_import(
    *, by, code: str, version: int | None, name: str, sector: str, items: list[dict], fields: dict | None = None
):
    """Create or update a template from a spreadsheet: its dimensions and items by code, in the given order.
    `items`: {"dimension_code", "dimension_name", "code", "name", "max_points", "guidance", "evidence_required",
    "veto", "kind"} (a kind of None keeps an item's kind, regular for a new one). `fields`: the template's
    {"level", "bonus_cap", "deduction_cap", "normalise"} the sheet gives (a key left out is kept). Items missing
    from the sheet are kept. A frozen template refuses (the model's guard)."""
    fields = {k: v for k, v in (fields or {}).items() if k in TEMPLATE_FIELDS and v is not None}
    template = (
        IndicatorTemplate.objects.filter(code=code, version=version).first()
        if version
        else IndicatorTemplate.objects.filter(code=code).order_by("-version").first()
    )
    if template is None:
        template = IndicatorTemplate(code=code, version=version or 1, name=name, sector=sector, **fields)
        template.full_clean()
        template.save()
        audit_record(actor=by, action="template.create", subject=template, to_value=f"{code} v{template.version}")
    else:
        wanted = {"name": name, "sector": sector} | fields
        changed = [f for f, v in wanted.items() if getattr(template, f) != v]
        if changed:
            for f in changed:
                setattr(template, f, wanted[f])
            template.full_clean(exclude=["code", "version"], validate_unique=False)
            template.save(update_fields=changed)
            audit_record(
                actor=by,
                action="template.update",
                subject=template,
                to_value="；".join(f"{f}={getattr(template, f)}" for f in changed),
            )
    dims = {d.code: d for d in template.dimensions.all()}
    inds = {i.code: i for i in template.indicators.all()}
    for order, item in enumerate(items, 1):
        dim = dims.get(item["dimension_code"])
        if dim is None:
            dim = dims[item["dimension_code"]] = Dimension(
                template=template, code=item["dimension_code"], order=len(dims)
            )
        if dim.name != item["dimension_name"] or dim.pk is None:
            dim.name = item["dimension_name"]
            dim.full_clean(exclude=["template"])
            dim.save()
        ind = inds.get(item["code"]) or Indicator(template=template, code=item["code"], order=order)
        values = {f: item.get(f) for f in ITEM_FIELDS}
        if values["kind"] is None:
            values["kind"] = ind.kind if ind.pk else IndicatorKind.REGULAR
        values["dimension_id"] = dim.pk
        if ind.pk is None or any(getattr(ind, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(ind, f, v)
            ind.full_clean(exclude=["template", "dimension"])
            ind.save()
            audit_record(actor=by, action="template.item", subject=template, to_value=f"{ind.code} {ind.max_points}")
    return template


def template_unfit(template: IndicatorTemplate) -> str | None:
    """Why a cycle may not open with this template, in words the office can act on; None when it fits.

    The regular items (veto, bonus and deduction items not counted) must total 100 points, because the totals are
    mixed with a 0-100 mass score and rated against thresholds such as 90/80/60; a template explicitly marked to
    be scaled to 100 may total otherwise (not 0). Bonus or deduction items need a cap above 0."""
    total = template.total_points()
    label = {"name": template.name, "code": template.code, "version": template.version, "total": _shown(total)}
    if template.normalise and not total:
        return (
            _(
                "Indicator template “%(name)s” (%(code)s v%(version)s) is marked to be scaled to 100 but its regular "
                "items carry no points. Give the regular items their points."
            )
            % label
        )
    if not template.normalise and total != HUNDRED:
        return (
            _(
                "Indicator template “%(name)s” (%(code)s v%(version)s): its regular items total %(total)s points, "
                "not 100. Change the items' points so that they total 100 (veto, bonus and deduction items are not "
                "counted), or mark the template to be scaled to 100."
            )
            % label
        )
    kinds = set(template.indicators.filter(veto=False).values_list("kind", flat=True))
    if IndicatorKind.BONUS in kinds and not template.bonus_cap:
        return (
            _(
                "Indicator template “%(name)s” (%(code)s v%(version)s) has bonus items but no cap on bonus points. "
                "Set the cap on bonus points (for example 5)."
            )
            % label
        )
    if IndicatorKind.DEDUCTION in kinds and not template.deduction_cap:
        return (
            _(
                "Indicator template “%(name)s” (%(code)s v%(version)s) has deduction items but no cap on deduction "
                "points. Set the cap on deduction points (for example 10)."
            )
            % label
        )
    return None


def _shown(number) -> str:
    return format(number.normalize(), "f") if number else "0"
