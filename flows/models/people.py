"""People and their responsibility roles, dated so that mid-year job changes are recorded."""

import datetime

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    real_name = models.CharField(_("real name"), max_length=40)
    title = models.CharField(_("job title"), max_length=120, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.real_name or self.username

    def get_full_name(self):
        return self.real_name or self.username


def today() -> datetime.date:
    return timezone.localdate()


class CurrentQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        """Rows whose date range includes `on` (default: today in Asia/Shanghai)."""
        on = on or today()
        return self.filter(Q(start__lte=on), Q(end__isnull=True) | Q(end__gte=on))


class Role(models.TextChoices):
    SECRETARY = "secretary", _("Secretary (first responsible person)")
    DEPUTY = "deputy", _("Leader in charge (person in direct charge)")
    MEMBER = "member", _("Leadership member")
    PARTY_MEMBER = "party_member", _("Party member")


LEADERSHIP_ROLES = (Role.SECRETARY, Role.DEPUTY, Role.MEMBER)


class RoleAssignment(models.Model):
    """A person's role in an organisation from `start` to `end` (inclusive; open-ended when empty)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("person"))
    organisation = models.ForeignKey(
        "flows.Organisation", on_delete=models.CASCADE, related_name="roles", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    start = models.DateField(_("start date"))
    end = models.DateField(_("end date"), null=True, blank=True)
    # 主持工作 / 代理: recorded by the oversight office while the post is vacant; holds the role for its dates
    acting = models.BooleanField(_("acting"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["organisation__path", "role", "-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="role_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.UniqueConstraint(fields=["user", "organisation", "role", "start"], name="role_unique_start"),
        ]
        indexes = [models.Index(fields=["user", "end"]), models.Index(fields=["organisation", "role"])]

    def __str__(self):
        return f"{self.user} · {self.organisation} · {self.role_label()}"

    def role_label(self) -> str:
        """The role as people say it: 代理 before it for an acting holder."""
        return _("Acting %(role)s") % {"role": self.get_role_display()} if self.acting else str(self.get_role_display())


class OfficeKind(models.TextChoices):
    ORGANISATION_DEPARTMENT = "organisation_department", _("Organisation department")
    WORKING_COMMITTEE = "working_committee", _("Agencies working committee")
    INSPECTION_OFFICE = "inspection_office", _("Inspection office")


class OversightOffice(models.Model):
    """An oversight office (组织部 / 机关工委 / 督查室) that runs cycles over the subtree at `scope`."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("office kind"), max_length=32, choices=OfficeKind.choices)
    scope = models.ForeignKey(
        "flows.Organisation",
        on_delete=models.PROTECT,
        related_name="oversight_offices",
        verbose_name=_("scope (subtree)"),
    )

    class Meta:
        verbose_name = _("oversight office")
        verbose_name_plural = _("oversight offices")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)


class OfficeRole(models.TextChoices):
    OFFICER = "officer", _("Oversight officer")
    INSPECTOR = "inspector", _("Inspector")


class OfficeMembership(models.Model):
    """Membership of an oversight office: officers run the office's work, inspectors form its pool."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="offices", verbose_name=_("person"))
    office = models.ForeignKey(
        OversightOffice, on_delete=models.CASCADE, related_name="members", verbose_name=_("office")
    )
    role = models.CharField(_("role"), max_length=16, choices=OfficeRole.choices)
    start = models.DateField(_("start date"))
    end = models.DateField(_("end date"), null=True, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("office membership")
        verbose_name_plural = _("office memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="office_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.UniqueConstraint(fields=["user", "office", "role", "start"], name="office_member_unique_start"),
        ]

    def __str__(self):
        return f"{self.user} · {self.office} · {self.get_role_display()}"
