"""A file that stops every worker that reads it is given up after three runs, with a message its owner can act on,
instead of going round the queue for ever; a job whose worker died once or twice is simply run again."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flows import jobs
from flows.excel import jobs as excel_jobs
from flows.models import AuditEntry, ExcelJob, JobState, Organisation
from tests import cycle_helpers as h
from tests.test_excel__views import workbook

pytestmark = pytest.mark.django_db

NEW_BRANCH = ["JC-QS-HT-13", "河塘镇上湾村支部", "党支部", "基层", "JC-QS-HT"]


def checked_job(client):
    officer = h.county_officer()
    client.force_login(officer)
    data = workbook([NEW_BRANCH])
    client.post(reverse("excel_home"), {"kind": "organisations", "file": SimpleUploadedFile("orgs.xlsx", data)})
    job = ExcelJob.objects.get(created_by=officer)
    assert job.state == JobState.CHECKED and job.runs == 1  # checked in-process, once
    return officer, job


def test_a_check_whose_worker_died_three_times_is_given_up_with_a_message(client, demo):
    _officer, job = checked_job(client)
    # three workers died reading it: the job still says "checking" and has been started three times
    ExcelJob.objects.filter(pk=job.pk).update(state=JobState.CHECKING, runs=3)
    jobs.excel_import_check(job.pk)  # the queue hands it out a fourth time
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.runs == 4
    given_up = AuditEntry.objects.get(action="excel.job_given_up", subject_id=str(job.pk))
    assert (given_up.from_value, given_up.to_value, given_up.actor) == ("checking", "failed", None)
    page = client.get(reverse("excel_job", kwargs={"pk": job.pk})).content.decode()
    assert "处理已中断 3 次仍未完成" in page and "失败" in page
    assert not Organisation.objects.filter(code=NEW_BRANCH[0]).exists()


def test_an_import_whose_worker_died_twice_is_run_again_and_imports_once(client, demo):
    officer, job = checked_job(client)
    excel_jobs.import_confirm(by=officer, job=job)
    job.refresh_from_db()
    assert job.state == JobState.APPLYING and job.runs == 0  # the check's run does not count against the import
    ExcelJob.objects.filter(pk=job.pk).update(runs=2)  # two workers died importing it
    jobs.excel_import_apply(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runs == 3
    assert Organisation.objects.filter(code=NEW_BRANCH[0]).count() == 1
    jobs.excel_import_apply(job.pk)  # a last redelivery finds it done and changes nothing
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runs == 3
    assert Organisation.objects.filter(code=NEW_BRANCH[0]).count() == 1
