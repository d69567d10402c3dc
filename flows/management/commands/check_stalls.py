import sys

from django.core.management.base import BaseCommand

from flows.selectors.holders import stalled_tasks


class Command(BaseCommand):
    help = (
        "List every open task nobody can act on (unassigned with nobody who may take it, or held by someone who may "
        "no longer); exit 1 when there is any."
    )

    def handle(self, *args, **options):
        stalled = stalled_tasks(limit=100_000)
        for s in stalled:
            task = s["task"]
            holder = task.owner.real_name if task.owner_id else "—"
            org = s["organisation"].name if s["organisation"] else ""
            why = "岗位空缺，无人可办" if s["why"] == "vacant" else "承办人已不能办理"
            self.stdout.write(f"{task.pk}\t{task.flow_task.task_title}\t{org}\t{holder}\t{why}")
        self.stdout.write(f"卡住的待办：{len(stalled)}")
        if stalled:
            sys.exit(1)
