"""The 办理记录 speaks Chinese: every action the code records has a label, and no row shows a raw code (a step's
node name, a measure kind) as its value."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from flows.models import AuditEntry, MeasureKind, Outcome, Role
from flows.selectors.history import ACTIONS, describe
from flows.services import assessments as svc
from flows.services.tasks import tasks_claim
from tests import cycle_helpers as h

RAW = re.compile(r"^[a-z]+(_[a-z]+)+$")


def test_every_recorded_action_has_a_label():
    written = set()
    for path in Path(settings.BASE_DIR, "flows").rglob("*.py"):
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    missing = sorted(a for a in written if a not in ACTIONS)
    assert not missing, missing


@pytest.mark.django_db
def test_an_accountability_year_reads_in_chinese(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    h.review(a, fraction=Decimal("0.6"), veto=True, outcome=Outcome.ACCOUNTABILITY)
    officers = [m.user for m in cycle.office.members.filter(role="officer").order_by("pk")]
    from viewflow.workflow.models import Task

    tasks_claim(by=officers[0], task_ids=list(Task.objects.filter(process=a.process).values_list("pk", flat=True)))
    svc.accountability_propose(
        assessment=a,
        by=officers[0],
        kind=MeasureKind.ADMONITION,
        persons=[h.holder(h.VILLAGE, Role.SECRETARY)],
        reason="一票否决事项",
    )
    svc.accountability_decide(assessment=a, by=officers[1], approve=True, comment="同意")
    rows = AuditEntry.objects.filter(subject_type="flows.assessment", subject_id=str(a.pk))
    with translation.override("zh-hans"):
        for entry in rows:
            action, value = describe(entry)
            assert action != entry.action, entry.action
            assert not RAW.match(value or ""), (entry.action, value)
            assert not re.search(r"[A-Za-z]{4,}", action), action


@pytest.mark.django_db
def test_a_batch_of_evidence_is_one_line_naming_the_files(client, demo):
    from flows.models import Evidence, User

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    files = list(Evidence.objects.filter(assessment=a).values_list("original_name", flat=True))
    assert len(files) >= 2
    client.force_login(User.objects.get(username="xianshuji"))
    page = client.get(f"/assessments/{a.pk}/").content.decode()
    history = page[page.index('class="history"') :]
    assert history.count("上传佐证材料") + history.count("添加佐证材料") + history.count("证明材料") <= 1
    assert f"{len(files)} 个文件" in history and all(name in history for name in files)
