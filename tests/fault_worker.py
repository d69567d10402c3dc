"""Run in a subprocess by the fault tests, against the test database (DATABASE_URL), to be killed with SIGKILL.

    python tests/fault_worker.py step ASSESSMENT_ID USER_ID   take the secretary's approval step
    python tests/fault_worker.py celery QUEUE [solo|prefork]  a real Celery worker on the Redis broker (REDIS_URL)

The hook lives here, never in the product: with FAULT_HANG_AT set, the process writes its pid to FAULT_MARKER at
that point and sleeps until it is killed (only the first time: once the marker exists it runs straight through):
    step           the step's state change, audit row and next task are written, not committed
    launch_chunk   a cycle launch has committed its first chunk and written, not committed, its second
    import_rows    an import has written every row (and marked its job done), not committed
    import_done    an import has committed, the job has not returned (the queue was not told it is done)
FAULT_LAUNCH_CHUNK makes a launch write that many organisations per chunk.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.test")

import django  # noqa: E402

django.setup()

HANG_AT = os.environ.get("FAULT_HANG_AT", "")
MARKER = Path(os.environ.get("FAULT_MARKER", "/nonexistent/marker"))


def hang(point):
    if HANG_AT != point or MARKER.exists():
        return
    partial = MARKER.with_suffix(".partial")
    partial.write_text(str(os.getpid()))
    partial.rename(MARKER)  # appears whole, with the pid in it
    while True:
        time.sleep(1)


def install_hooks():
    from flows.excel import importing
    from flows.excel import jobs as excel_jobs
    from flows.services import assessments, cycles

    real_complete = assessments.task_complete

    def complete_then_hang(*args, **kwargs):
        activation = real_complete(*args, **kwargs)
        hang("step")
        return activation

    assessments.task_complete = complete_then_hang

    if os.environ.get("FAULT_LAUNCH_CHUNK"):
        cycles.cycle_launch.__kwdefaults__["chunk"] = int(os.environ["FAULT_LAUNCH_CHUNK"])
    real_chunk, chunks = cycles._launch_chunk, []

    def chunk_then_hang(cycle, chunk):
        done = real_chunk(cycle, chunk)
        chunks.append(done)
        if len(chunks) == 2:
            hang("launch_chunk")
        return done

    cycles._launch_chunk = chunk_then_hang

    real_run_import = importing.run_import

    def run_import(*args, before_commit=None, **kwargs):
        def then_hang(report):
            if before_commit:
                before_commit(report)
            hang("import_rows")

        return real_run_import(*args, before_commit=then_hang, **kwargs)

    importing.run_import = run_import
    real_apply = excel_jobs.import_apply

    def apply_then_hang(job_id):
        job = real_apply(job_id)
        hang("import_done")
        return job

    excel_jobs.import_apply = apply_then_hang


def main():
    install_hooks()
    if sys.argv[1] == "step":
        from flows.models import Assessment, User
        from flows.services import assessments

        a = Assessment.objects.get(pk=int(sys.argv[2]))
        assessments.self_assessment_decide(assessment=a, by=User.objects.get(pk=int(sys.argv[3])), approve=True)
        print("step done")
    elif sys.argv[1] == "celery":
        from project.celery import app

        pool = sys.argv[3] if len(sys.argv) > 3 else "solo"
        app.worker_main(
            [
                "worker",
                "-Q",
                sys.argv[2],
                "--pool",
                pool,
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"fault-{os.getpid()}@%h",
            ]
        )


if __name__ == "__main__":
    main()
