"""Contact points and visits (联系点, 观摩 / 督导调研; seeds 000, 001, 003, 004).

Every leading member of a Party committee or leading group keeps contact points (联系点) among the organisations
their committee leads, weak branches included, for a year; and each year visits the organisations below at least
once to observe or supervise their Party-building work. A visit records its date, the leaders who went, what they
saw and the problems they found; a problem can become a rectification item on the organisation's assessment in
the open review cycle (then the line keeps the item it became).

No state machine here: a contact point and a visit are records, written (with their audit rows) by the services in
`flows/services/contacts.py`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactPoint(models.Model):
    """One leader's contact organisation (联系点) for one year."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_points", verbose_name=_("leader")
    )
    organisation = models.ForeignKey(
        "flows.Organisation", on_delete=models.PROTECT, related_name="contact_points", verbose_name=_("organisation")
    )
    year = models.PositiveIntegerField(_("year"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["-year", "organisation__path", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["leader", "organisation", "year"], name="contact_point_unique_year"),
        ]
        indexes = [models.Index(fields=["organisation", "year"], name="contact_point_org_year")]

    def __str__(self):
        return f"{self.year} · {self.leader} · {self.organisation}"


class VisitKind(models.TextChoices):
    OBSERVATION = "observation", _("Observation visit")
    SUPERVISION = "supervision", _("Supervision visit")
    RESEARCH = "research", _("Fact-finding visit")


class Visit(models.Model):
    """A leaders' visit to an organisation (走访 / 观摩 / 督导调研): what they saw and the problems they found."""

    organisation = models.ForeignKey(
        "flows.Organisation", on_delete=models.PROTECT, related_name="visits", verbose_name=_("organisation")
    )
    date = models.DateField(_("visit date"))
    kind = models.CharField(_("kind of visit"), max_length=16, choices=VisitKind.choices)
    leaders = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="visits", verbose_name=_("leaders"))
    seen = models.TextField(_("what was seen"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["organisation", "date"], name="visit_org_date")]

    def __str__(self):
        return f"{self.date} · {self.organisation}"


class VisitProblem(models.Model):
    """One problem found on a visit, as typed; `item` is the rectification item it became (if it did)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="problems", verbose_name=_("visit"))
    order = models.PositiveIntegerField(_("order"))
    text = models.CharField(_("problem found"), max_length=500)
    item = models.OneToOneField(
        "flows.RectificationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit_problem",
        verbose_name=_("rectification item"),
    )

    class Meta:
        verbose_name = _("problem found on a visit")
        verbose_name_plural = _("problems found on visits")
        ordering = ["visit", "order"]
        constraints = [models.UniqueConstraint(fields=["visit", "order"], name="visit_problem_unique_order")]

    def __str__(self):
        return self.text
