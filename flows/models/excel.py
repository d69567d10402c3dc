"""Excel imports and exports that run as background jobs: the uploaded or produced file, its preview report and
where it stands. Progress while running is kept in the cache (see services.excel_jobs); the row keeps the rest."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobDirection(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    CHECKING = "checking", _("Checking the rows")
    CHECKED = "checked", _("Checked: confirm to import")
    REFUSED = "refused", _("Refused: nothing was imported")
    APPLYING = "applying", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def job_path(instance, filename):
    return f"excel/{instance.created_by_id}/{instance.pk or 'new'}-{filename}"


class ExcelJob(models.Model):
    direction = models.CharField(_("direction"), max_length=8, choices=JobDirection.choices)
    kind = models.CharField(_("workbook"), max_length=32)
    state = models.CharField(_("state"), max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    upload = models.FileField(upload_to=job_path, blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    output = models.FileField(upload_to=job_path, blank=True)
    output_name = models.CharField(max_length=200, blank=True)
    report = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    # how many times a worker has started on it: a job is run again when its worker dies, and given up after a few
    runs = models.PositiveSmallIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Excel job")
        verbose_name_plural = _("Excel jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self):
        return f"{self.get_direction_display()} {self.kind} #{self.pk}"

    @property
    def running(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.CHECKING, JobState.APPLYING)
