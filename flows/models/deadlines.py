"""Time in the cycle: local days off, reminders and escalations (催办、督办), and the notifications they send."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayOff(models.Model):
    """A local exception to the national calendar: a day off (or a working day) for an office's scope."""

    office = models.ForeignKey(
        "flows.OversightOffice", on_delete=models.CASCADE, related_name="days_off", verbose_name=_("oversight office")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=60)
    working = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Ticked: a working day although the national calendar says otherwise."),
    )

    class Meta:
        verbose_name = _("local day off")
        verbose_name_plural = _("local days off")
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="day_off_once")]

    def __str__(self):
        return f"{self.date} {self.name}"


class ReminderKind(models.TextChoices):
    REMIND = "remind", _("Reminder before the due date")
    ESCALATE_SECRETARY = "escalate_secretary", _("Overdue: escalated to the secretary")
    ESCALATE_OFFICE = "escalate_office", _("Long overdue: escalated to the oversight office")


class Reminder(models.Model):
    """One reminder or escalation of one task. The unique constraint makes every sweep idempotent: two sweeps at
    once, or one sweep twice, can never send the same step twice."""

    task = models.ForeignKey("viewflow.Task", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=24, choices=ReminderKind.choices)
    due = models.DateField(_("due date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["task", "kind"], name="reminder_once_per_task_and_kind")]

    def __str__(self):
        return f"{self.task_id} {self.kind}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    link = models.CharField(max_length=300, blank=True)
    reminder = models.ForeignKey(
        Reminder, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.title


class AccountabilityReferral(models.Model):
    """An overdue rectification item referred to the oversight office for accountability (追责), once per item.
    The reminders and escalations of the item are the evidence the office sees."""

    item = models.OneToOneField("flows.RectificationItem", on_delete=models.CASCADE, related_name="referral")
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="referral"
    )
    measure = models.OneToOneField(
        "flows.AccountabilityMeasure", null=True, blank=True, on_delete=models.SET_NULL, related_name="referral"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("accountability referral")
        verbose_name_plural = _("accountability referrals")

    def __str__(self):
        return str(self.item)
