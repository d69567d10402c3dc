"""Issue 23: a job sent while the queue (Redis) is away is neither lost nor reported as "not saved" — the request
committed. The Excel job waits with a lease that has run out, so the job sweep queues it once the queue is back;
a cycle launch that nobody took up is queued again by the sweep."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from kombu.exceptions import OperationalError

from flows import jobs
from flows.excel import jobs as excel_jobs
from flows.models import ExcelJob, JobState
from tests import cycle_helpers as h
from tests.test_excel__views import workbook

pytestmark = pytest.mark.django_db

ROWS = [["JC-QS-HT-71", "河塘镇队列村支部", "党支部", "基层", "JC-QS-HT"]]


def queue_away(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for task in jobs.RESUMABLE.values():
        monkeypatch.setattr(task, "delay", refuse)


def test_an_import_uploaded_while_the_queue_is_away_is_kept_and_resumed_when_it_is_back(demo, client, monkeypatch):
    officer = h.county_officer()
    client.force_login(officer)
    queue_away(monkeypatch)
    upload = SimpleUploadedFile("orgs.xlsx", workbook(ROWS))
    response = client.post(reverse("excel_home"), {"kind": "organisations", "file": upload})
    assert response.status_code == 302  # saved, and the user is taken to the job's page, not a 503
    job = ExcelJob.objects.get(created_by=officer, original_name="orgs.xlsx")
    assert job.state == JobState.QUEUED and job.lease_until is not None
    monkeypatch.undo()  # the queue is back: the sweep sends the job again
    queued = []
    assert jobs.resume_interrupted(enqueue=lambda name, *args: queued.append((name, *args)))["excel_jobs"] == 1
    assert queued == [("excel_import_check", job.pk)]
    excel_jobs.import_check(job.pk)
    assert ExcelJob.objects.get(pk=job.pk).state == JobState.CHECKED


def test_a_launch_nobody_took_up_is_queued_again_by_the_sweep(demo, settings):
    settings.CELERY_JOB_LEASE_SECONDS = 0  # "two leases ago" is now
    cycle = h.open_cycle()
    type(cycle).objects.filter(pk=cycle.pk).update(launch_done=0)  # as if its launch message never arrived
    cache.delete(jobs.launch_lease_key(cycle.pk))
    queued = []
    assert jobs.resume_interrupted(enqueue=lambda name, *args: queued.append((name, *args)))["launches"] == 1
    assert queued == [("launch_cycle", cycle.pk)]
    assert jobs.resume_interrupted(enqueue=lambda name, *args: queued.append((name, *args)))["launches"] == 0
