"""Indicator templates: loading the defaults, and new versions of a template a cycle has frozen."""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from flows.models import Dimension, Indicator, IndicatorTemplate
from flows.services.audit import audit_record

DEFAULTS_FILE = Path(settings.BASE_DIR) / "fixtures" / "templates" / "indicators.json"


@transaction.atomic
def templates_load_defaults(*, by=None, path: Path = DEFAULTS_FILE) -> int:
    """Create the default templates (version 1) that do not exist yet; returns how many were created."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    created = 0
    for t in data["templates"]:
        if IndicatorTemplate.objects.filter(code=t["code"], version=1).exists():
            continue
        template = IndicatorTemplate.objects.create(code=t["code"], version=1, name=t["name"], sector=t["sector"])
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
                    max_points=Decimal(str(item["max_points"])),
                    guidance=item.get("guidance", ""),
                    evidence_required=bool(item.get("evidence_required")),
                    veto=bool(item.get("veto")),
                    order=order,
                )
        audit_record(actor=by, action="template.create", subject=template, to_value=f"{template.code} v1")
        created += 1
    return created


@transaction.atomic
def template_new_version(*, by, template: IndicatorTemplate) -> IndicatorTemplate:
    """Copy a template to the next version number, free to edit until a cycle opens with it."""
    latest = IndicatorTemplate.objects.filter(code=template.code).order_by("-version").first()
    new = IndicatorTemplate.objects.create(
        code=template.code, version=latest.version + 1, name=template.name, sector=template.sector
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
def template_import(*, by, code: str, version: int | None, name: str, sector: str, items: list[dict]):
    """Create or update a template from a spreadsheet: its dimensions and items by code, in the given order.
    `items`: {"dimension_code", "dimension_name", "code", "name", "max_points", "guidance", "evidence_required",
    "veto"}. Items missing from the sheet are kept. A frozen template refuses (the model's guard)."""
    template = (
        IndicatorTemplate.objects.filter(code=code, version=version).first()
        if version
        else IndicatorTemplate.objects.filter(code=code).order_by("-version").first()
    )
    if template is None:
        template = IndicatorTemplate.objects.create(code=code, version=version or 1, name=name, sector=sector)
        audit_record(actor=by, action="template.create", subject=template, to_value=f"{code} v{template.version}")
    elif (template.name, template.sector) != (name, sector):
        template.name, template.sector = name, sector
        template.save(update_fields=["name", "sector"])
        audit_record(actor=by, action="template.update", subject=template, to_value=name)
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
        values = {f: item[f] for f in ("name", "max_points", "guidance", "evidence_required", "veto")}
        values["dimension_id"] = dim.pk
        if ind.pk is None or any(getattr(ind, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(ind, f, v)
            ind.full_clean(exclude=["template", "dimension"])
            ind.save()
            audit_record(actor=by, action="template.item", subject=template, to_value=f"{ind.code} {ind.max_points}")
    return template
