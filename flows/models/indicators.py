"""Indicator templates (考核指标体系): the 五好 dimensions and their scoring items, versioned.

A template that an open or closed cycle uses is frozen: its dimensions and items refuse to change, from
every door, and a change is made on a new version (`services.indicators.template_new_version`).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from flows.models.compiled import CompiledQuery
from flows.models.organisations import Level, Sector

HUNDRED = Decimal(100)


class IndicatorKind(models.TextChoices):
    """Regular items make up the template's 100 points; bonus and deduction items (加分项 / 扣分项) add or take
    away points up to the template's caps."""

    REGULAR = "regular", _("Regular item")
    BONUS = "bonus", _("Bonus item")
    DEDUCTION = "deduction", _("Deduction item")


class IndicatorTemplate(models.Model):
    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=160)
    sector = models.CharField(
        _("sector"), max_length=24, choices=Sector.choices, blank=True, help_text=_("Empty: general template.")
    )
    level = models.CharField(
        _("administrative level"), max_length=16, choices=Level.choices, blank=True, help_text=_("Empty: any level.")
    )
    bonus_cap = models.DecimalField(
        _("cap on bonus points"),
        max_digits=5,
        decimal_places=1,
        default=Decimal(0),
        help_text=_("The most that bonus items together add to a total."),
    )
    deduction_cap = models.DecimalField(
        _("cap on deduction points"),
        max_digits=5,
        decimal_places=1,
        default=Decimal(0),
        help_text=_("The most that deduction items together take from a total."),
    )
    normalise = models.BooleanField(
        _("scale to 100"),
        default=False,
        help_text=_("The regular items do not total 100 points: self and superior totals are scaled to 100."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator template")
        verbose_name_plural = _("indicator templates")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="template_code_version_unique"),
            models.CheckConstraint(
                condition=Q(bonus_cap__gte=0, deduction_cap__gte=0), name="template_caps_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.name}（v{self.version}）"

    SCORING_FIELDS = ("bonus_cap", "deduction_cap", "normalise")

    def save(self, *args, **kwargs):
        if self.pk and self.is_frozen:
            before = IndicatorTemplate.objects.filter(pk=self.pk).values(*self.SCORING_FIELDS).first() or {}
            if any(before.get(f) != getattr(self, f) for f in self.SCORING_FIELDS):
                raise ValidationError(
                    _("This indicator template is used by an opened review cycle; make a new version to change it.")
                )
        return super().save(*args, **kwargs)

    def natural_key(self):
        return (self.code, self.version)

    @property
    def is_frozen(self) -> bool:
        """Used by a cycle that has been opened: it can no longer change in place."""
        return self.cycle_uses.exclude(cycle__state="draft").exists()

    def total_points(self) -> Decimal:
        """The points of the regular items (veto, bonus and deduction items not counted): 100 unless normalised."""
        regular = self.indicators.filter(veto=False, kind=IndicatorKind.REGULAR)
        return regular.aggregate(s=Sum("max_points"))["s"] or Decimal(0)


class FrozenTemplateGuard(models.Model):
    """Refuses to save or delete a part of a template that a cycle has frozen."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._guard()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self):
        if self.template_id and IndicatorTemplate.objects.get(pk=self.template_id).is_frozen:
            raise ValidationError(
                _("This indicator template is used by an opened review cycle; make a new version to change it.")
            )


class Dimension(FrozenTemplateGuard):
    template = models.ForeignKey(IndicatorTemplate, on_delete=models.CASCADE, related_name="dimensions")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        ordering = ["template", "order"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="dimension_code_unique")]

    def __str__(self):
        return self.name


class Indicator(FrozenTemplateGuard):
    template = models.ForeignKey(
        IndicatorTemplate, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("indicator template")
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("dimension")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    max_points = models.DecimalField(_("maximum points"), max_digits=5, decimal_places=1)
    guidance = models.TextField(_("scoring guidance"), blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    veto = models.BooleanField(_("veto item"), default=False, help_text=_("One-vote veto: if hit, the rating is poor."))
    kind = models.CharField(_("item kind"), max_length=12, choices=IndicatorKind.choices, default=IndicatorKind.REGULAR)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="indicator_points_not_negative"),
            models.CheckConstraint(condition=Q(veto=False) | Q(max_points=0), name="indicator_veto_has_no_points"),
            models.CheckConstraint(
                condition=Q(veto=False) | Q(kind=IndicatorKind.REGULAR), name="indicator_veto_is_regular"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


# a template's items in order (compiled once per process: read by every step screen and every step taken)
_TEMPLATE_ITEMS = CompiledQuery(
    lambda template_id: Indicator.objects.filter(template_id=template_id).order_by("order", "pk"), template_id=int
)


def template_items(template_id: int) -> list[Indicator]:
    """An indicator template's items, in order."""
    return _TEMPLATE_ITEMS(template_id=template_id)
