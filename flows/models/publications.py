"""Results publication (公示): the oversight office publishes a cycle's ratings for a set period; anyone concerned
may object (异议) while it runs. An objection is a task for the office; a rating changed because of one keeps its
old value and the reason, on the objection and in the assessment's audit history.

    Objection:  open ──decide──▶ upheld (the rating was changed)
                             └─▶ dismissed
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from flows.models.cycles import Rating
from flows.models.states import ObjectionState


class Publication(models.Model):
    cycle = models.OneToOneField(
        "flows.ReviewCycle", on_delete=models.PROTECT, related_name="publication", verbose_name=_("cycle")
    )
    starts = models.DateField(_("publication starts"))
    ends = models.DateField(_("publication ends"))
    note = models.TextField(_("notice"), blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)
    # the audit chain's end when the results were published (seq · hash), printed on the 公示 page (issue 22)
    audit_head = models.CharField(_("audit head when published"), max_length=90, blank=True, editable=False)

    class Meta:
        verbose_name = _("results publication")
        verbose_name_plural = _("results publications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gte=models.F("starts")),
                name="publication_ends_after_start",
                violation_error_message=_("The publication cannot end before it starts."),
            )
        ]

    def __str__(self):
        return f"{self.cycle} 公示"

    def is_open(self, on) -> bool:
        return self.starts <= on <= self.ends


class Objection(ConcurrentTransitionMixin, models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="objections")
    assessment = models.ForeignKey(
        "flows.Assessment", on_delete=models.PROTECT, related_name="objections", verbose_name=_("organisation")
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(_("objection"))
    state = FSMField(_("state"), default=ObjectionState.OPEN, choices=ObjectionState.choices, protected=True)
    response = models.TextField(_("response"), blank=True)
    rating_before = models.CharField(_("rating before"), max_length=12, choices=Rating.choices, blank=True)
    rating_after = models.CharField(_("rating after"), max_length=12, choices=Rating.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="objection"
    )

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["raised_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "raised_by"],
                condition=models.Q(state="open"),
                name="objection_one_open_per_person",
                violation_error_message=_("You already have an objection to this rating being handled."),
            )
        ]

    def __str__(self):
        return self.reason[:40]

    @transition(field=state, source=ObjectionState.OPEN, target=ObjectionState.UPHELD)
    def uphold(self, *, by, response, rating_before, rating_after):
        self.decided_by, self.response = by, response
        self.rating_before, self.rating_after = rating_before, rating_after

    @transition(field=state, source=ObjectionState.OPEN, target=ObjectionState.DISMISSED)
    def dismiss(self, *, by, response):
        self.decided_by, self.response = by, response
