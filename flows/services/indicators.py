"""Indicator templates: loading the defaults, and new versions of a template a cycle has frozen."""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ..models import Dimension, Indicator, IndicatorTemplate
from .audit import audit_record

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
