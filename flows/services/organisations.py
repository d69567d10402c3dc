"""State changes of the organisation tree. Every door (screen, admin, import, shell) comes here."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant

from flows.models import Guidance, Organisation
from flows.services import counts
from flows.services.audit import audit_record

TREE_FIELDS = ("path", "depth", "numchild")
EDITABLE_FIELDS = (
    "code",
    "name",
    "short_name",
    "kind",
    "sector",
    "level",
    "regime",
    "classification",
    "weak_and_lax",
    "review_office",
)


def _check_leading(org: Organisation | None, leading: Organisation | None) -> None:
    if leading is None:
        if org is not None and org.is_root():
            return
        if Organisation.objects.filter(depth=1).exclude(pk=getattr(org, "pk", None)).exists():
            raise ValidationError(
                {"leading": _("Every organisation except the root must have exactly one leading organisation.")}
            )
        return
    if org is None or org.pk is None:
        return
    if leading.pk == org.pk:
        raise ValidationError({"leading": _("An organisation cannot lead itself.")})
    if leading.path.startswith(org.path):
        raise ValidationError(
            {
                "leading": _("%(leading)s is led (directly or indirectly) by %(org)s: the leading chain would loop.")
                % {"leading": leading.name, "org": org.name}
            }
        )


def _full_clean(org: Organisation) -> None:
    org.full_clean(exclude=TREE_FIELDS, validate_constraints=False)


def _guard_integrity(fn):
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except IntegrityError as exc:
            raise ValidationError(
                _("The change conflicts with the organisation tree: %(error)s") % {"error": exc}
            ) from exc

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


@_guard_integrity
@transaction.atomic
def organisation_create(*, by, leading: Organisation | None, **fields) -> Organisation:
    """Create an organisation under its one leading organisation (the root alone has none)."""
    _check_leading(None, leading)
    org = Organisation(**fields)
    _full_clean(org)
    if leading is None:
        org = Organisation.objects.add_root(instance=org)
    else:
        leading = Organisation.objects.select_for_update().get(pk=leading.pk)
        org = Organisation.objects.add_child(leading, instance=org)
    audit_record(actor=by, action="organisation.create", subject=org, to_value=org.code)
    return org


@_guard_integrity
@transaction.atomic
def organisation_update(*, by, organisation: Organisation, leading=..., **fields) -> Organisation:
    """Change an organisation's attributes and, if `leading` is given, move it under a new leading one."""
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    from flows.services.consolidation import flag_change_refused  # noqa: PLC0415 (issue 20: lifting needs 验收)

    flag_change_refused(org, fields)
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationError(_("%(field)s cannot be changed here.") % {"field": name})
        old = getattr(org, name)
        if old != value:
            setattr(org, name, value)
            audit_record(actor=by, action=f"organisation.{name}", subject=org, from_value=old, to_value=value)
    _full_clean(org)
    org.save(update_fields=[f for f in fields] or None)
    if {"sector", "level"} & set(fields):
        counts.organisation_changed(org, moved=False)
    if leading is not ...:
        org = organisation_set_leading(by=by, organisation=org, leading=leading)
    return org


@_guard_integrity
@transaction.atomic
def organisation_set_leading(*, by, organisation: Organisation, leading: Organisation | None) -> Organisation:
    """Give an organisation a new leading organisation, refusing loops and a second root."""
    org = Organisation.objects.get(pk=organisation.pk)
    current = org.leading
    if (current and leading and current.pk == leading.pk) or (current is None and leading is None):
        return org
    _check_leading(org, leading)
    if leading is None:
        raise ValidationError({"leading": _("Only the root organisation has no leading organisation.")})
    try:
        Organisation.objects.move(org, Organisation.objects.get(pk=leading.pk), pos="last-child")
    except InvalidMoveToDescendant as exc:
        raise ValidationError({"leading": _("The leading chain would loop.")}) from exc
    org.refresh_from_db()
    counts.organisation_changed(org, moved=True)
    audit_record(
        actor=by,
        action="organisation.leading",
        subject=org,
        from_value=current.code if current else "",
        to_value=leading.code,
    )
    if Guidance.objects.filter(organisation=org, guide=leading).exists():
        guidance_remove(by=by, organisation=org, guide=leading)
    return org


def _check_guide(org: Organisation, guide: Organisation) -> None:
    if guide.pk == org.pk:
        raise ValidationError({"guide": _("An organisation cannot guide itself.")})
    if org.path.startswith(guide.path) and len(guide.path) == len(org.path) - org.steplen:
        raise ValidationError({"guide": _("%(guide)s already leads %(org)s.") % {"guide": guide.name, "org": org.name}})
    if guide.path.startswith(org.path):
        raise ValidationError(
            {"guide": _("%(guide)s is in the subtree that %(org)s leads.") % {"guide": guide.name, "org": org.name}}
        )


@_guard_integrity
@transaction.atomic
def guidance_add(*, by, organisation: Organisation, guide: Organisation, note: str = "") -> Guidance:
    _check_guide(organisation, guide)
    link, created = Guidance.objects.get_or_create(organisation=organisation, guide=guide, defaults={"note": note})
    if created:
        audit_record(actor=by, action="organisation.guide_add", subject=organisation, to_value=guide.code)
    return link


@transaction.atomic
def guidance_remove(*, by, organisation: Organisation, guide: Organisation) -> None:
    deleted, _n = Guidance.objects.filter(organisation=organisation, guide=guide).delete()
    if deleted:
        audit_record(actor=by, action="organisation.guide_remove", subject=organisation, from_value=guide.code)
