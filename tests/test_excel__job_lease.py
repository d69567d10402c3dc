"""Jobs never freeze and never lie (issue 23), in-process: the lease a running Excel job holds, the sweep that
resumes a job whose lease ran out, and the job page meanwhile. The same with real workers killed mid-job is in
tests/test_faults__job_lease.py."""

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from flows import jobs
from flows.excel import jobs as excel_jobs
from flows.models import ExcelJob, JobState, Organisation
from tests import cycle_helpers as h
from tests.test_excel__views import workbook

pytestmark = pytest.mark.django_db

ROWS = [[f"JC-QS-HT-{60 + i}", f"河塘镇租约村{i}支部", "党支部", "基层", "JC-QS-HT"] for i in range(3)]
CODES = [r[0] for r in ROWS]
ELSEWHERE = "another-machine:boot:ns/4242.1000/0123abcd"  # a run on another machine: alive until its lease runs out


def confirmed(client=None):
    officer = h.county_officer()
    if client is not None:
        client.force_login(officer)
    job = excel_jobs.import_start(
        by=officer, kind="organisations", upload=SimpleUploadedFile("orgs.xlsx", workbook(ROWS))
    )
    excel_jobs.import_check(job.pk)
    return excel_jobs.import_confirm(by=officer, job=ExcelJob.objects.get(pk=job.pk))


def held_by(job, owner, *, seconds):
    ExcelJob.objects.filter(pk=job.pk).update(
        lease_owner=owner, lease_until=timezone.now() + timedelta(seconds=seconds), runs=1
    )


def page(client, job):
    return client.get(reverse("excel_job", kwargs={"pk": job.pk})).content.decode()


def status(client, job):
    return client.get(reverse("excel_job_status", kwargs={"pk": job.pk})).json()


def test_a_run_takes_the_lease_and_releases_it_when_the_job_ends(demo):
    job = confirmed()
    checked = ExcelJob.objects.get(pk=job.pk)
    assert (checked.lease_owner, checked.lease_until, checked.interrupted_at) == ("", None, None)  # the check's
    assert jobs.excel_import_apply(job.pk) == JobState.DONE
    job.refresh_from_db()
    assert (job.runs, job.lease_owner, job.lease_until, job.interrupted_at) == (1, "", None, None)
    assert Organisation.objects.filter(code__in=CODES).count() == 3


def test_a_second_delivery_while_a_live_run_holds_the_job_does_nothing(demo, client):
    """The issue's duplicate delivery: it used to fail on a duplicate key and set the job to "refused"."""
    job = confirmed(client)
    held_by(job, ELSEWHERE, seconds=30)
    before = ExcelJob.objects.values().get(pk=job.pk)
    assert jobs.excel_import_apply(job.pk) == JobState.APPLYING
    assert ExcelJob.objects.values().get(pk=job.pk) == before  # not counted, not taken, not written
    assert not Organisation.objects.filter(code__in=CODES).exists()
    assert jobs.resume_interrupted(enqueue=pytest.fail) == {"excel_jobs": 0, "launches": 0}  # alive: not swept
    body = page(client, job)
    assert "正在导入" in body and "已中断" not in body and "已拒绝" not in body


def test_a_delivery_of_a_finished_job_changes_nothing(demo):
    job = confirmed()
    jobs.excel_import_apply(job.pk)
    done = ExcelJob.objects.values().get(pk=job.pk)
    assert done["state"] == JobState.DONE and done["report"]["counts"]["new"] == 3
    for _ in range(2):  # the broker's late second delivery, and one more
        assert jobs.excel_import_apply(job.pk) == JobState.DONE
    assert jobs.excel_import_check(job.pk) == JobState.DONE
    assert ExcelJob.objects.values().get(pk=job.pk) == done
    assert Organisation.objects.filter(code__in=CODES).count() == 3


def test_a_job_whose_lease_ran_out_is_marked_interrupted_and_queued_again_once(demo, client):
    job = confirmed(client)
    held_by(job, ELSEWHERE, seconds=-1)  # its worker died a second ago
    cache.set(excel_jobs.progress_key(job.pk), {"done": 2, "total": 3})
    assert "正在导入" in page(client, job)  # not yet noticed
    queued = []
    assert jobs.resume_interrupted(enqueue=lambda *task: queued.append(task)) == {"excel_jobs": 1, "launches": 0}
    assert queued == [("excel_import_apply", job.pk)]
    job.refresh_from_db()
    assert job.interrupted and job.state == JobState.APPLYING
    body = page(client, job)
    assert "已中断，正在恢复" in body and "不会重复导入" in body and "2 / 3" in body
    assert status(client, job) == {
        "state": "applying",
        "label": "已中断，正在恢复",
        "running": True,
        "interrupted": True,
        "done": 2,
        "total": 3,
    }
    assert jobs.resume_interrupted(enqueue=pytest.fail)["excel_jobs"] == 0  # queued once per interruption

    jobs.RESUMABLE[queued[0][0]](*queued[0][1:])  # the next worker
    job.refresh_from_db()
    assert (job.state, job.runs, job.lease_owner) == (JobState.DONE, 2, "")
    assert job.report["counts"]["new"] == 3 and Organisation.objects.filter(code__in=CODES).count() == 3
    body = page(client, job)
    assert "已中断" not in body and status(client, job)["interrupted"] is False


def test_a_resumed_run_that_dies_too_is_noticed_again(demo):
    job = confirmed()
    held_by(job, ELSEWHERE, seconds=-1)
    assert len(excel_jobs.interrupted_mark()) == 1
    # marked 10 s ago; the next run took it, and died as well: its lease ran out 5 s ago
    now = timezone.now()
    ExcelJob.objects.filter(pk=job.pk).update(
        interrupted_at=now - timedelta(seconds=10), lease_until=now - timedelta(seconds=5)
    )
    assert excel_jobs.interrupted_mark() == [("excel_import_apply", job.pk)]


def test_a_message_lost_after_the_job_was_queued_again_is_sent_once_more(demo):
    job = confirmed()
    held_by(job, ELSEWHERE, seconds=-1)
    ExcelJob.objects.filter(pk=job.pk).update(
        interrupted_at=timezone.now() - timedelta(seconds=excel_jobs.REQUEUE_AFTER + 1)
    )
    assert excel_jobs.interrupted_mark() == [("excel_import_apply", job.pk)]


def test_the_sweep_resumes_checks_and_exports_with_their_own_task(demo):
    officer = h.county_officer()
    check = excel_jobs.import_start(
        by=officer, kind="organisations", upload=SimpleUploadedFile("orgs.xlsx", workbook(ROWS))
    )
    export = excel_jobs.export_start(by=officer, kind="roster", params={}, filename="roster.xlsx")
    for job in (check, export):
        ExcelJob.objects.filter(pk=job.pk).update(
            state=JobState.CHECKING if job is check else JobState.APPLYING,
            lease_owner=ELSEWHERE,
            lease_until=timezone.now() - timedelta(seconds=1),
        )
    assert sorted(excel_jobs.interrupted_mark()) == [("excel_export", export.pk), ("excel_import_check", check.pk)]
    assert jobs.excel_export(export.pk) == JobState.DONE
    assert jobs.excel_import_check(check.pk) == JobState.CHECKED


def test_a_lease_whose_process_on_this_machine_is_gone_is_taken_at_once(demo):
    """A pool process killed mid-job: the worker runs the job again straight away, without waiting for the lease to
    run out, because the process that held it is gone."""
    gone = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    started = jobs._started(gone.pid)
    gone.wait()
    dead = f"{jobs._host()}/{gone.pid}.{started}/0badc0de"
    assert jobs.holder_is_dead(dead)
    assert not jobs.holder_is_dead(jobs.lease_owner())  # this very process
    assert not jobs.holder_is_dead(ELSEWHERE)  # another machine: alive until its lease runs out
    job = confirmed()
    held_by(job, dead, seconds=30)
    assert jobs.excel_import_apply(job.pk) == JobState.DONE
    job.refresh_from_db()
    assert job.runs == 2 and job.interrupted_at is not None and job.lease_owner == ""


def test_a_run_that_lost_its_lease_writes_nothing(demo, monkeypatch):
    """A run that stalled past its lease while another took the job over: its import rolls back, its outcome is not
    written over the other run's."""
    from flows.excel import importing

    job = confirmed()
    real = importing.run_import

    def taken_over_meanwhile(*args, **kwargs):
        ExcelJob.objects.filter(pk=job.pk).update(lease_owner=ELSEWHERE)
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "run_import", taken_over_meanwhile)
    assert jobs.excel_import_apply(job.pk) == JobState.APPLYING
    assert not Organisation.objects.filter(code__in=CODES).exists()
    job.refresh_from_db()
    assert (job.state, job.lease_owner) == (JobState.APPLYING, ELSEWHERE)


def test_an_error_of_the_database_leaves_the_lease_to_run_out_so_the_job_is_resumed(demo, monkeypatch):
    from django.db import OperationalError

    from flows.excel import importing

    job = confirmed()

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(importing, "run_import", database_gone)
    with pytest.raises(OperationalError):
        jobs.excel_import_apply(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.APPLYING and job.lease_owner and job.lease_until
    ExcelJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert excel_jobs.interrupted_mark() == [("excel_import_apply", job.pk)]


def test_the_heartbeat_renews_the_lease_while_the_job_runs_and_stops_with_it(settings):
    settings.CELERY_JOB_LEASE_SECONDS = 0.15
    renewed = []
    with jobs.Heartbeat(lambda: renewed.append(time.monotonic()) or True):
        time.sleep(0.5)
    assert len(renewed) >= 3
    count = len(renewed)
    time.sleep(0.2)
    assert len(renewed) == count
    assert not [t for t in threading.enumerate() if t.name == "zerenzhi-job-heartbeat"]


def test_a_short_job_never_renews_from_its_heartbeat_thread():
    renewed = []
    with jobs.Heartbeat(lambda: renewed.append(1) or True):
        pass
    assert renewed == []


def test_celery_beat_runs_the_job_sweep(settings, demo):
    entry = settings.CELERY_BEAT_SCHEDULE["job-sweep"]
    assert entry["task"] == "flows.jobs.jobs_sweep" and entry["schedule"] <= 30
    assert settings.CELERY_JOB_LEASE_SECONDS + entry["schedule"] < 60  # a dead worker is noticed within a minute
    assert jobs.jobs_sweep.apply().get() == {"excel_jobs": 0, "launches": 0}


def test_a_launch_holds_its_lease_in_the_cache_and_an_interrupted_one_is_queued_again(demo):
    cycle = h.open_cycle()  # launched in-process: its lease was taken and released
    key = jobs.launch_lease_key(cycle.pk)
    assert cache.get(key) is None and jobs.launch_interrupted(cycle.pk) is None
    from flows.models import ReviewCycle

    ReviewCycle.objects.filter(pk=cycle.pk).update(launch_done=0)  # as if its worker died mid-way
    first = jobs.CacheLease(key)
    assert first.take() and first.renew()
    assert not jobs.CacheLease(key).take()  # a second delivery while it runs
    assert jobs.launches_interrupted_mark() == []
    cache.set(key, cache.get(key) | {"until": timezone.now() - timedelta(seconds=1)})  # its worker died
    assert jobs.launches_interrupted_mark() == [cycle.pk]
    assert jobs.launches_interrupted_mark() == []  # once
    assert jobs.launch_interrupted(cycle.pk) is not None
    jobs.launch_cycle(cycle.pk)  # the next worker: resumes (nothing is left to launch here) and releases
    assert cache.get(key) is None and jobs.launch_interrupted(cycle.pk) is None
