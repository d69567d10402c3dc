"""Duty lists (责任清单, seed 003 "逐级完善部门党建责任清单体系"; seed 001 "一岗双责") and each organisation's yearly
tasks (年度任务, the secretary's own project 书记项目 among them).

At the start of a cycle the cycle's oversight office publishes a template: the duties of each role — the secretary
(书记 · 第一责任人), the person in direct charge (直接责任人) and the other leadership members by their area of work
(班子其他成员 · 一岗双责) — each line naming the indicators of the cycle it answers to (by indicator code, since an
organisation's indicator template depends on its sector and level). Publishing gives every organisation the cycle
assesses its own list, derived from the template, in draft; its secretary (or whoever acts for the post) adds its
own duties and its yearly tasks and confirms it. The office may return a confirmed list with a reason.

    DutyList:  draft ──confirm──▶ confirmed ──return_list (office, with a reason)──▶ draft
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from flows.models.states import DutyListState


class DutyRole(models.TextChoices):
    SECRETARY = "secretary", _("Secretary (first responsible person)")
    DIRECT_CHARGE = "direct_charge", _("Person in direct charge")
    MEMBER = "member", _("Other leadership member (one post, two duties)")


class LineKind(models.TextChoices):
    DUTY = "duty", _("Duty")
    TASK = "task", _("Yearly task")


class DutyTemplate(models.Model):
    """The duty-list template of a review cycle, published by the cycle's office (one per cycle)."""

    cycle = models.OneToOneField(
        "flows.ReviewCycle", on_delete=models.PROTECT, related_name="duty_template", verbose_name=_("review cycle")
    )
    office = models.ForeignKey(
        "flows.OversightOffice", on_delete=models.PROTECT, related_name="duty_templates", verbose_name=_("published by")
    )
    name = models.CharField(_("name"), max_length=160)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        verbose_name = _("duty-list template")
        verbose_name_plural = _("duty-list templates")
        ordering = ["-published_at", "pk"]

    def __str__(self):
        return self.name


class DutyTemplateLine(models.Model):
    template = models.ForeignKey(DutyTemplate, on_delete=models.CASCADE, related_name="lines")
    role = models.CharField(_("role"), max_length=16, choices=DutyRole.choices)
    area = models.CharField(_("area of work"), max_length=60, blank=True)
    text = models.TextField(_("duty"))
    indicator_codes = models.JSONField(_("indicators covered"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("duty-list template line")
        verbose_name_plural = _("duty-list template lines")
        ordering = ["template", "order", "pk"]

    def __str__(self):
        return self.text[:60]


class DutyList(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """One organisation's duty list and yearly tasks for a cycle."""

    cycle = models.ForeignKey(
        "flows.ReviewCycle", on_delete=models.PROTECT, related_name="duty_lists", verbose_name=_("review cycle")
    )
    organisation = models.ForeignKey(
        "flows.Organisation", on_delete=models.PROTECT, related_name="duty_lists", verbose_name=_("organisation")
    )
    template = models.ForeignKey(
        DutyTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="lists", verbose_name=_("template")
    )
    state = FSMField(_("state"), default=DutyListState.DRAFT, choices=DutyListState.choices, protected=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    returned_reason = models.TextField(_("reason returned"), blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="duty_list"
    )

    class Meta:
        verbose_name = _("duty list")
        verbose_name_plural = _("duty lists")
        ordering = ["cycle", "organisation__path"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "organisation"], name="duty_list_one_per_cycle_organisation"),
        ]

    def __str__(self):
        return f"{self.organisation} · {self.cycle}"

    def has_tasks(self):
        """Confirmed with its yearly tasks, the secretary's project among them."""
        tasks = self.lines.filter(kind=LineKind.TASK)
        return tasks.exists() and tasks.filter(secretary_project=True).exists()

    def has_duties(self):
        return self.lines.filter(kind=LineKind.DUTY).exists()

    @transition(
        field=state, source=DutyListState.DRAFT, target=DutyListState.CONFIRMED, conditions=[has_duties, has_tasks]
    )
    def confirm(self, *, by, at):
        self.confirmed_by, self.confirmed_at = by, at

    @transition(field=state, source=DutyListState.CONFIRMED, target=DutyListState.DRAFT)
    def return_list(self, *, by, at, reason):
        self.returned_by, self.returned_at, self.returned_reason = by, at, reason
        self.confirmed_by, self.confirmed_at = None, None


class DutyLine(models.Model):
    """A duty of one role (with the person carrying it, for a member: their area), or a yearly task."""

    duty_list = models.ForeignKey(DutyList, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=8, choices=LineKind.choices, default=LineKind.DUTY)
    role = models.CharField(_("role"), max_length=16, choices=DutyRole.choices)
    area = models.CharField(_("area of work"), max_length=60, blank=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duty_lines",
        verbose_name=_("carried by"),
    )
    text = models.TextField(_("content"))
    secretary_project = models.BooleanField(_("secretary's project (书记项目)"), default=False)
    due = models.DateField(_("to be done by"), null=True, blank=True)
    indicators = models.ManyToManyField(
        "flows.Indicator", blank=True, related_name="duty_lines", verbose_name=_("indicators covered")
    )
    from_template = models.ForeignKey(
        DutyTemplateLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("duty line")
        verbose_name_plural = _("duty lines")
        ordering = ["duty_list", "kind", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(secretary_project=False) | Q(kind=LineKind.TASK),
                name="duty_line_project_is_a_task",
                violation_error_message=_("Only a yearly task can be the secretary's project."),
            ),
        ]

    def __str__(self):
        return self.text[:60]
