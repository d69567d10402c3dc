"""The score tables of the self-assessment and review screens (flows/templatetags/score_tables.py): each item once,
with what the person typed or saved, its errors, its files; whatever an item or a person wrote shown as text."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import Indicator, Stage, User
from flows.selectors import task_url
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)">&amp;'


def open_task(a):
    return Task.objects.get(process=a.process, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def rows(body: str) -> list[str]:
    table = re.search(r'<table class="grid scores">(.*?)</table>', body, re.S).group(1)
    return [r for r in re.findall(r"<tr>(.*?)</tr>", table, re.S) if r.startswith("<td>")]  # not the header


@pytest.fixture
def assessment(demo):
    return h.assessment_of(h.open_cycle())


def test_the_self_assessment_table_lists_every_item_once_with_its_fields_and_escapes_what_was_written(
    client, assessment
):
    a = assessment
    items = list(a.template.indicators.all())
    veto = [i for i in items if i.veto]
    scored = [i for i in items if not i.veto]
    required = [i for i in scored if i.evidence_required]
    assert veto and scored and required, "the demo's village template has veto items and items needing evidence"
    # a name and guidance as an import could bring them (the template is frozen: written past its guard)
    Indicator.objects.filter(pk=scored[0].pk).update(name=HOSTILE, guidance=HOSTILE)
    client.force_login(User.objects.get(username="fenguan"))
    url = task_url(open_task(a))
    body = client.get(url).content.decode()

    assert len(rows(body)) == len(items)
    assert body.count('name="points_') == len(scored) and body.count('name="note_') == len(scored)
    assert all(f'name="points_{i.pk}"' not in body for i in veto)
    assert body.count("<img src=x") == 0 and body.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;") == 2
    for i in required:  # nothing attached yet: the upload is marked required
        assert re.search(rf'<input type="file" name="evidence_{i.pk}"[^>]*data-required>', body)
    for i in scored:  # the item's maximum sits beside its points field, as the Excel sheet has it
        assert re.search(rf"<td>{re.escape(str(i.max_points))}</td>\s*<td><input name=\"points_{i.pk}\"", body)

    # a refused save shows what was typed, escaped, with the error beside the field; a saved file is listed
    first, second = scored[0], next(i for i in required if i != scored[0])
    response = client.post(
        url,
        {
            "expected_state": Stage.SELF_ASSESSMENT,
            "action": "save",
            f"points_{first.pk}": '"><script>x</script>',
            f"note_{first.pk}": "</textarea><b>注</b>",
            f"points_{second.pk}": str(second.max_points),
            "report": "述职",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "<script>x" not in body and "&quot;&gt;&lt;script&gt;x&lt;/script&gt;" in body
    assert "&lt;/textarea&gt;&lt;b&gt;注&lt;/b&gt;" in body
    assert f'aria-invalid="true" aria-describedby="error-{first.pk}"' in body
    assert re.search(rf'<div class="field-error" id="error-{first.pk}" role="alert">[^<]+</div>', body)
    assert f'aria-describedby="error-{second.pk}"' not in body

    assert (
        client.post(
            url,
            {
                "expected_state": Stage.SELF_ASSESSMENT,
                "action": "save",
                f"points_{second.pk}": str(second.max_points),
                f"note_{second.pk}": "台账齐全",
                f"evidence_{second.pk}": SimpleUploadedFile("<台账>.pdf", b"%PDF-1.4 x", "application/pdf"),
                "report": "述职",
            },
        ).status_code
        == 302
    )
    body = client.get(url).content.decode()
    row = next(r for r in rows(body) if f'name="points_{second.pk}"' in r)
    assert f'value="{second.max_points}"' in row and ">台账齐全</textarea>" in row
    assert re.search(r'<a href="/evidence/\d+/">&lt;台账&gt;.pdf</a><br>', row)
    assert "data-required" not in row  # a file is attached now


def test_the_review_table_shows_self_points_the_veto_boxes_and_keeps_what_the_reviewer_saved(client, demo):
    a = h.through_to_review(h.open_cycle())
    client.force_login(h.reviewer_of(a))
    url = task_url(open_task(a))
    body = client.get(url).content.decode()
    items = list(a.template.indicators.all())
    assert len(rows(body)) == len(items)
    scores = {s.indicator_id: s for s in a.scores.all()}
    for i in items:
        row = next(r for r in rows(body) if r.startswith(f"<td>{i.code} "))
        if i.veto:
            assert f'<input type="checkbox" name="veto" value="{i.pk}" >' in row
            assert 'name="points_' not in row
        else:
            assert f"<td>{scores[i.pk].self_points}</td>" in row, "the self points beside the reviewer's field"
    scored = [i for i in items if not i.veto]
    data = {"expected_state": Stage.SUPERIOR_REVIEW, "action": "save", "review_comment": "基础薄弱"}
    data |= {f"points_{i.pk}": str((i.max_points * Decimal("0.5")).quantize(Decimal("0.1"))) for i in scored}
    data |= {"veto": [i.pk for i in items if i.veto][:1]}
    assert client.post(url, data).status_code == 302
    body = client.get(url).content.decode()
    first = scored[0]
    assert f'name="points_{first.pk}" inputmode="decimal" size="4"' in body
    assert f'value="{(first.max_points * Decimal("0.5")).quantize(Decimal("0.1"))}"' in body
    assert body.count(" checked>") == 1, "the veto item the reviewer ticked stays ticked"
