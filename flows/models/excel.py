"""Excel imports and exports that run as background jobs: the uploaded or produced file, its preview report and
where it stands. Progress while running is kept in the cache (see flows/excel/jobs.py); the row keeps the rest,
including the lease of the run working on it (see flows/jobs.py)."""

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
    # The lease of the run working on it: taken by a conditional update when a run starts (only if the job is not
    # finished and nobody holds a live lease), renewed by the run's heartbeat, released when the run ends. A lease
    # that has run out means its worker died: the job sweep marks the job interrupted and queues it again.
    lease_owner = models.CharField(max_length=200, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    interrupted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Excel job")
        verbose_name_plural = _("Excel jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"]),
            # the job sweep's look-up: only jobs with a lease taken and not released are in it
            models.Index(
                fields=["lease_until"], condition=models.Q(lease_until__isnull=False), name="flows_excel_job_lease"
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.kind} #{self.pk}"

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES

    @property
    def interrupted(self) -> bool:
        """Its worker died while it ran, and it is being resumed (queued again, or running again)."""
        return self.running and self.interrupted_at is not None

    @property
    def status_label(self) -> str:
        return str(_("Interrupted, resuming")) if self.interrupted else self.get_state_display()


RUNNING_STATES = (JobState.QUEUED, JobState.CHECKING, JobState.APPLYING)
