"""The review cycle (考核周期): one per oversight office and year, with its own state machine."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from flows.models.indicators import IndicatorTemplate
from flows.models.organisations import Level, Organisation, Sector
from flows.models.states import CycleState


class Rating(models.TextChoices):
    GOOD = "good", _("Good")
    FAIRLY_GOOD = "fairly_good", _("Fairly good")
    AVERAGE = "average", _("Average rating")
    POOR = "poor", _("Poor")


class ReviewCycle(ConcurrentTransitionMixin, models.Model):
    office = models.ForeignKey(
        "flows.OversightOffice", on_delete=models.PROTECT, related_name="cycles", verbose_name=_("oversight office")
    )
    year = models.PositiveIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=160)
    state = FSMField(_("state"), default=CycleState.DRAFT, choices=CycleState.choices, protected=True)

    scope_root = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scope: subtree of"),
        null=True,
        blank=True,
        help_text=_("Empty: the office's whole scope."),
    )
    scope_sectors = models.JSONField(_("scope: sectors"), default=list, blank=True)
    scope_levels = models.JSONField(_("scope: levels"), default=list, blank=True)
    scope_explicit = models.ManyToManyField(
        Organisation, blank=True, related_name="+", verbose_name=_("scope: only these organisations")
    )

    self_due = models.DateField(_("self-assessment due"))
    mass_due = models.DateField(_("mass evaluation due"))
    review_due = models.DateField(_("superior review due"))
    rectification_due = models.DateField(_("rectification due"))

    weight_self = models.DecimalField(_("weight: self-assessment"), max_digits=5, decimal_places=2, default=Decimal(20))
    weight_mass = models.DecimalField(_("weight: mass evaluation"), max_digits=5, decimal_places=2, default=Decimal(20))
    weight_superior = models.DecimalField(
        _("weight: superior review"), max_digits=5, decimal_places=2, default=Decimal(60)
    )
    weight_social = models.DecimalField(
        _("weight: social evaluation"), max_digits=5, decimal_places=2, default=Decimal(0)
    )

    # a secretary's own result from the report-and-review meeting (述职评议考核)
    weight_meeting_appraisal = models.DecimalField(
        _("weight: appraisal at the meeting"), max_digits=5, decimal_places=2, default=Decimal(40)
    )
    weight_meeting_comment = models.DecimalField(
        _("weight: leader's comment"), max_digits=5, decimal_places=2, default=Decimal(30)
    )
    weight_meeting_organisation = models.DecimalField(
        _("weight: the organisation's assessment"), max_digits=5, decimal_places=2, default=Decimal(30)
    )

    good_min = models.DecimalField(_("good from"), max_digits=5, decimal_places=2, default=Decimal(90))
    fairly_good_min = models.DecimalField(_("fairly good from"), max_digits=5, decimal_places=2, default=Decimal(80))
    average_min = models.DecimalField(_("average from"), max_digits=5, decimal_places=2, default=Decimal(60))
    good_cap_percent = models.DecimalField(
        _("cap on the share of good (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # 回头看: how long after an item is verified its re-check falls due (issue 20)
    recheck_interval_days = models.PositiveSmallIntegerField(
        _("re-check after (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("A verified rectification item is re-checked (回头看) this many days later."),
    )
    social_source = models.CharField(
        _("source of the social evaluation"),
        max_length=200,
        blank=True,
        help_text=_("Who gives the social evaluation, e.g. a survey of service users; needed when it has a weight."),
    )

    launch_total = models.PositiveIntegerField(_("assessments to launch"), default=0)
    launch_done = models.PositiveIntegerField(_("assessments launched"), default=0)
    closed_reason = models.TextField(_("reason for closing"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-year", "office"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="cycle_one_per_office_year"),
            models.CheckConstraint(
                condition=Q(weight_self__gte=0, weight_mass__gte=0, weight_superior__gte=0, weight_social__gte=0),
                name="cycle_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    good_min__gt=F("fairly_good_min"), fairly_good_min__gt=F("average_min"), average_min__gte=0
                ),
                name="cycle_thresholds_ordered",
                violation_error_message=_("Thresholds must fall: good > fairly good > average ≥ 0."),
            ),
            models.CheckConstraint(
                condition=Q(
                    self_due__lte=F("mass_due"), mass_due__lte=F("review_due"), review_due__lte=F("rectification_due")
                ),
                name="cycle_deadlines_ordered",
                violation_error_message=_("Stage deadlines must follow the order of the stages."),
            ),
        ]

    def __str__(self):
        return self.name

    def has_templates(self):
        return self.templates.exists()

    @transition(field=state, source=CycleState.DRAFT, target=CycleState.OPEN, conditions=[has_templates])
    def open(self):
        """Open the cycle (its assessments are launched by the service)."""

    @transition(field=state, source=CycleState.OPEN, target=CycleState.CLOSED)
    def close(self, *, reason=""):
        self.closed_reason = reason

    def template_for(self, sector: str, level: str = ""):
        """The template for an organisation of this sector and level (see `CycleTemplate.pick`)."""
        by_key = {(ct.sector, ct.level): ct.template for ct in self.templates.select_related("template")}
        return CycleTemplate.pick(by_key, sector, level)

    def rating_for(self, score: Decimal) -> str:
        if score >= self.good_min:
            return Rating.GOOD
        if score >= self.fairly_good_min:
            return Rating.FAIRLY_GOOD
        if score >= self.average_min:
            return Rating.AVERAGE
        return Rating.POOR


class CycleTemplate(models.Model):
    """Which indicator template the cycle uses for a sector and level (empty sector: any sector; empty level: any
    level), so that a township committee is not scored on a school's items."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="templates")
    sector = models.CharField(_("sector"), max_length=24, choices=Sector.choices, blank=True)
    level = models.CharField(_("administrative level"), max_length=16, choices=Level.choices, blank=True)
    template = models.ForeignKey(IndicatorTemplate, on_delete=models.PROTECT, related_name="cycle_uses")

    class Meta:
        verbose_name = _("cycle template")
        verbose_name_plural = _("cycle templates")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "sector", "level"], name="cycle_template_per_sector_level")
        ]

    def __str__(self):
        where = f"{self.get_sector_display() or '—'} · {self.get_level_display() or '—'}"
        return f"{self.cycle} · {where} · {self.template}"

    @staticmethod
    def pick(by_key: dict, sector: str, level: str):
        """From {(sector, level): value}: the one for (sector, level), else (sector, any level), else (any sector,
        level), else the general one (any sector, any level); None when there is none."""
        for key in ((sector, level), (sector, ""), ("", level), ("", "")):
            if key in by_key:
                return by_key[key]
        return None
