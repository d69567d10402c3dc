"""Classification by year (分类定级) and the weak-and-lax list (软弱涣散), with dates.

`Organisation.classification` and `Organisation.weak_and_lax` are the organisation's standing today; these
tables keep how it got there, so that year over year (晋位升级, 后进转化) can be read back:

* one `ClassificationRecord` per organisation and year: the rating the year's cycle gave, the classification
  derived from it (see `classification_for`), and, when the oversight office corrected it, by whom and why;
* `WeakAndLaxPeriod`: from the day the office designated an organisation weak and lax to the day it lifted the
  designation after consolidation (整顿), with both reasons. At most one period per organisation is open; the
  criteria met, the consolidation plan and its acceptance check hang off it (`consolidation.py`), and a period
  ends only on or after the date of a passed acceptance check (a database constraint).

The rule from rating to classification (seed 002: 上级党组织按照“五好”标准对所属基层党组织进行分类定级;
“巩固先进、推动一般、整顿后进”): a year rated 好 makes the organisation advanced (先进); 较好 and 一般 make it
average (一般); 差 (a veto item forces 差) makes it backward (后进). An organisation on the weak-and-lax list when
the year is recorded is backward whatever its rating: it is the one under consolidation. The office may correct
the result, with a reason, and the correction is audited.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from flows.models.cycles import Rating
from flows.models.organisations import Classification

CLASSIFICATION_OF_RATING = {
    Rating.GOOD: Classification.ADVANCED,
    Rating.FAIRLY_GOOD: Classification.AVERAGE,
    Rating.AVERAGE: Classification.AVERAGE,
    Rating.POOR: Classification.BACKWARD,
}
# the order in which an organisation moves up (晋位升级) or slips down
CLASSIFICATION_LEVEL = {Classification.BACKWARD: 0, Classification.AVERAGE: 1, Classification.ADVANCED: 2}


def classification_for(rating: str, *, weak_and_lax: bool = False) -> str:
    """The classification a year's rating gives ('' when the year was not rated)."""
    if weak_and_lax:
        return Classification.BACKWARD
    return CLASSIFICATION_OF_RATING.get(rating, "")


class RecordSource(models.TextChoices):
    CYCLE = "cycle", _("From the cycle's rating")
    OFFICE = "office", _("Corrected by the oversight office")


class ClassificationRecord(models.Model):
    organisation = models.ForeignKey(
        "flows.Organisation",
        on_delete=models.CASCADE,
        related_name="classification_records",
        verbose_name=_("organisation"),
    )
    year = models.PositiveIntegerField(_("year"))
    cycle = models.ForeignKey(
        "flows.ReviewCycle",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="classification_records",
        verbose_name=_("cycle"),
    )
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    classification = models.CharField(_("classification"), max_length=12, choices=Classification.choices)
    derived = models.CharField(
        _("classification from the rating"), max_length=12, choices=Classification.choices, blank=True
    )
    source = models.CharField(_("source"), max_length=8, choices=RecordSource.choices, default=RecordSource.CYCLE)
    reason = models.TextField(_("reason for the correction"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("classification record")
        verbose_name_plural = _("classification records")
        ordering = ["organisation", "year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="classification_one_per_org_year"),
            models.CheckConstraint(
                condition=~Q(source=RecordSource.OFFICE) | ~Q(reason=""),
                name="classification_correction_has_reason",
                violation_error_message=_("A correction by the office needs a reason."),
            ),
        ]
        indexes = [models.Index(fields=["year", "classification"])]

    def __str__(self):
        return f"{self.organisation_id} {self.year} {self.classification}"


class WeakAndLaxPeriod(models.Model):
    organisation = models.ForeignKey(
        "flows.Organisation",
        on_delete=models.CASCADE,
        related_name="weak_and_lax_periods",
        verbose_name=_("organisation"),
    )
    start = models.DateField(_("designated on"))
    end = models.DateField(_("lifted on"), null=True, blank=True)
    reason = models.TextField(_("reason for the designation"))
    end_reason = models.TextField(_("reason for lifting"), blank=True)
    # the date of the passed acceptance check (验收) that allows lifting: see flows/models/consolidation.py
    accepted_on = models.DateField(_("acceptance check passed on"), null=True, blank=True)
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("weak-and-lax period")
        verbose_name_plural = _("weak-and-lax periods")
        ordering = ["organisation", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(end__isnull=True),
                name="weak_and_lax_one_open_period",
                violation_error_message=_("This organisation is already on the weak-and-lax list."),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="weak_and_lax_ends_after_start",
                violation_error_message=_("The designation cannot be lifted before it began."),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(accepted_on__isnull=False, end__gte=models.F("accepted_on")),
                name="weak_and_lax_lifted_after_acceptance",
                violation_error_message=_("The designation is lifted only after a passed acceptance check."),
            ),
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.start}–{self.end or ''}"
