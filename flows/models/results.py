"""Settling a cycle's results (等次审定) and every later change of a rating.

Only a submitted superior review gives an assessment its combined score and rating (a saved draft does not);
which assessments count as results is decided in one place, `selectors.results`.

Before the ratings are published (公示) the oversight office settles them: it sees every rating of the cycle
beside the cap on the share of 好, may lower ratings (each one a recorded `RatingChange` with its reason, never an
edit), and settles. Settling over the cap needs an override with a reason, which is audited and printed in the
written report. A review submitted after settling reopens the settlement before anything is published.

    RatingSettlement:  settling ──settle──▶ settled ──reopen──▶ settling

A rating changed later — lowered by a spot check, or changed on an upheld objection — is a `RatingChange` too,
and follows through to that year's classification (`services.results.rating_change`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from flows.models.cycles import Rating
from flows.models.states import RatingSource, SettlementState


class RatingSettlement(ConcurrentTransitionMixin, models.Model):
    cycle = models.OneToOneField(
        "flows.ReviewCycle", on_delete=models.PROTECT, related_name="settlement", verbose_name=_("cycle")
    )
    state = FSMField(_("state"), default=SettlementState.SETTLING, choices=SettlementState.choices, protected=True)
    # what the office settled: the count of results, of 好 among them, and the cap then in force
    rated = models.PositiveIntegerField(_("organisations rated"), default=0)
    good = models.PositiveIntegerField(_("rated good"), default=0)
    good_cap_percent = models.DecimalField(
        _("cap on the share of good (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    over_cap = models.BooleanField(_("settled over the cap"), default=False)
    override_reason = models.TextField(_("reason for exceeding the cap"), blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="rating_settlement"
    )

    class Meta:
        verbose_name = _("settling of the ratings")
        verbose_name_plural = _("settlings of the ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(over_cap=False) | ~Q(override_reason=""),
                name="settlement_over_cap_has_reason",
                violation_error_message=_("Settling over the cap needs a reason."),
            )
        ]

    def __str__(self):
        return f"{self.cycle} · 等次审定"

    @transition(field=state, source=SettlementState.SETTLING, target=SettlementState.SETTLED)
    def settle(self, *, by, at, rated, good, over_cap, override_reason):
        self.settled_by, self.settled_at = by, at
        self.rated, self.good, self.good_cap_percent = rated, good, self.cycle.good_cap_percent
        self.over_cap, self.override_reason = over_cap, override_reason

    @transition(field=state, source=SettlementState.SETTLED, target=SettlementState.SETTLING)
    def reopen(self):
        """Results arrived after settling: the office settles again before publishing."""


class RatingChange(models.Model):
    """A rating changed after the review gave it: by the office when settling, by a spot check, on an objection."""

    assessment = models.ForeignKey(
        "flows.Assessment", on_delete=models.CASCADE, related_name="rating_changes", verbose_name=_("assessment")
    )
    source = models.CharField(_("changed by"), max_length=16, choices=RatingSource.choices)
    rating_before = models.CharField(_("rating before"), max_length=12, choices=Rating.choices)
    rating_after = models.CharField(_("rating after"), max_length=12, choices=Rating.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rating change")
        verbose_name_plural = _("rating changes")
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="rating_change_has_reason"),
            models.CheckConstraint(condition=~Q(rating_before=models.F("rating_after")), name="rating_change_changes"),
        ]

    def __str__(self):
        return f"{self.assessment_id}: {self.rating_before} → {self.rating_after}"
