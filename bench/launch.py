"""Launching a cycle (assessments, flows and first tasks) against a raw bulk insert of the same rows."""

import time

from bench.scene import synthetic_cycle


def run(*, quick: bool, emit):
    from django.db import connection, transaction
    from django.utils import timezone
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.token import Token

    from flows.flows import AssessmentFlow
    from flows.models import Assessment, AuditEntry
    from flows.services import cycles as cycle_svc

    n = 1_000 if quick else 100_000
    scene = synthetic_cycle(prefix="B", n=n + 1, label="基准", people=True, superuser=False)
    officer, office, cycle = scene.officer, scene.office, scene.cycle
    scope = cycle_svc.cycle_scope(cycle).count()

    started = time.perf_counter()
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    launch = time.perf_counter() - started
    assert Assessment.objects.filter(cycle=cycle).count() == scope

    # the floor: the same rows, written by plain bulk_create into the same tables, in the same chunks
    org_ids = list(cycle_svc.cycle_scope(cycle).values_list("pk", flat=True))
    template = cycle.templates.first().template
    cycle2 = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates={"": template},
        year=2027,
        name="基准2",
        **cycle_svc.due_dates_for_year(2027),
    )
    started = time.perf_counter()
    now = timezone.now()
    for i in range(0, len(org_ids), cycle_svc.LAUNCH_CHUNK):
        chunk = org_ids[i : i + cycle_svc.LAUNCH_CHUNK]
        with transaction.atomic():
            procs = Process.objects.bulk_create([Process(flow_class=AssessmentFlow, created=now) for _ in chunk])
            Assessment.objects.bulk_create(
                [
                    Assessment(cycle=cycle2, organisation_id=o, template=template, process=p)
                    for o, p in zip(chunk, procs, strict=True)
                ]
            )
            s = Task.objects.bulk_create(
                [
                    Task(
                        process=p,
                        flow_task=AssessmentFlow.start,
                        flow_task_type="START",
                        status="DONE",
                        token=Token("start"),
                    )
                    for p in procs
                ]
            )
            d = Task.objects.bulk_create(
                [
                    Task(
                        process=p,
                        flow_task=AssessmentFlow.draft_self,
                        flow_task_type="HUMAN",
                        status="NEW",
                        token=Token("start"),
                    )
                    for p in procs
                ]
            )
            Task.previous.through.objects.bulk_create(
                [Task.previous.through(from_task_id=a.pk, to_task_id=b.pk) for a, b in zip(d, s, strict=True)]
            )
            AuditEntry.objects.bulk_create(
                [AuditEntry(action="bench", subject_type="x", subject_id=str(o)) for o in chunk]
            )
    floor = time.perf_counter() - started
    connection.close()
    return [emit(f"launch_cycle_{scope}_orgs_{connection.vendor}", launch, "s", floor, 3)]
