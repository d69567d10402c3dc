"""The dashboard's kept counts stay equal to a recount from the assessments, whatever steps are taken in whatever
order; the dashboard read from them equals the figures counted straight from the assessments for every kind of
viewer and filter; a drift is detected and a rebuild repairs it."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.models import Assessment, ItemScore, Organisation, Outcome, Rating, Stage, User
from flows.models.counts import AssessmentCount
from flows.selectors import dashboards
from flows.selectors.dashboards import Filters
from flows.selectors.results import counts_as_result
from flows.services import counts
from flows.services.results import rating_change
from flows.services.steps import step_take
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db

STEPS = ["return_self", "approve_self", "close_mass", "submit_review", "decide_commendation"]
STEPS += ["approve_accountability", "reopen_rectification", "rating"]
VIEWERS = ["county", "dingxuejun", "shuji"]


@pytest.fixture
def cycle(demo):
    """The county's village cycle, every review already scored (so a review can be submitted at any time)."""
    cycle = h.open_cycle()
    rows = []
    for a in cycle.assessments.select_related("template"):
        for ind in a.template.indicators.filter(veto=False):
            rows.append(ItemScore(assessment=a, indicator=ind, superior_points=Decimal(1)))
    ItemScore.objects.bulk_create(rows)
    return cycle


def direct_groups(cycle, user, f: Filters) -> dict:
    """The figures the old dashboard counted straight from the assessments (a rating counts only as a result)."""
    base = dashboards._assessments(cycle, user, f)
    rows = base.values_list("state", "rating", "organisation__sector", "organisation__level").annotate(n=Count("pk"))
    out: dict = {}
    for state, rating, sector, level, n in rows:
        key = (state, rating if counts_as_result(state, rating) else "", sector, level)
        out[key] = out.get(key, 0) + n
    return out


def kept_groups(cycle, user, f: Filters) -> dict:
    out: dict = {}
    for *key, n in dashboards._counted_groups(cycle, user, f):
        key = tuple(k or "" for k in key)
        out[key] = out.get(key, 0) + n
    return out


def viewer(name):
    return h.county_officer() if name == "county" else User.objects.get(username=name)


ops = st.lists(
    st.tuples(st.integers(0, 7), st.sampled_from(STEPS), st.sampled_from(Rating.values), st.sampled_from(Outcome)),
    max_size=25,
)
starts = st.lists(st.sampled_from(list(Stage)), min_size=8, max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=starts, steps=ops, who=st.sampled_from(VIEWERS), subtree=st.sampled_from(["", "JC-QS-HT", "JC-QS-SQ"]))
def test_the_counts_equal_a_recount_after_any_steps(cycle, start, steps, who, subtree):
    with transaction.atomic():
        ids = list(cycle.assessments.order_by("pk").values_list("pk", flat=True))
        for pk, stage in zip(ids, start, strict=True):  # a bulk write, then the rebuild every bulk writer calls
            rated = stage not in (Stage.SELF_ASSESSMENT, Stage.SELF_APPROVAL, Stage.MASS_EVALUATION)
            Assessment.objects.filter(pk=pk).update(state=stage, rating=Rating.AVERAGE if rated else "")
        counts.cycle_counts_rebuild(cycle)
        officer = h.county_officer()
        for i, step, rating, outcome in steps:
            a = Assessment.objects.get(pk=ids[i])
            try:
                with transaction.atomic():
                    if step == "rating":
                        if a.rating:
                            rating_change(assessment=a, to=rating, reason="测试", source="settlement", by=officer)
                        continue
                    params = {"outcome": outcome} if step == "submit_review" else None
                    if step == "submit_review":
                        a.rating = rating  # the review gives the rating on the object, then takes the step
                    step_take(a, step, by=None, system=True, params=params)
            except Exception:  # noqa: BLE001, S112 (a step not open from this stage: nothing was written)
                continue
        assert counts.cycle_counts_drift(cycle) == {}
        user = viewer(who)
        f = Filters(subtree=Organisation.objects.get(code=subtree) if subtree else None)
        assert kept_groups(cycle, user, f) == direct_groups(cycle, user, f)
        transaction.set_rollback(True)


@pytest.mark.parametrize("who", VIEWERS)
@pytest.mark.parametrize(
    "filters", [{}, {"sector": "village"}, {"level": "grassroots"}, {"subtree": "JC-QS-HT"}, {"subtree": "JC-QS"}]
)
def test_every_viewer_and_filter_reads_what_a_direct_count_gives(cycle, who, filters):
    h.do_self_assessment(h.assessment_of(cycle, "JC-QS-SQ-02"))
    user = viewer(who)
    if "subtree" in filters:
        filters = filters | {"subtree": Organisation.objects.get(code=filters["subtree"])}
    f = Filters(**filters)
    assert kept_groups(cycle, user, f) == direct_groups(cycle, user, f)


def test_a_drift_is_detected_and_the_rebuild_repairs_it(cycle, capsys):
    call_command("counts", "--check")
    AssessmentCount.objects.filter(cycle=cycle, node="").update(n=99)
    with pytest.raises(CommandError, match="differ from a recount"):
        call_command("counts", "--check")
    assert "stored 99" in capsys.readouterr().out
    call_command("counts")
    call_command("counts", "--check")
    assert counts.cycle_counts_drift(cycle) == {}


def test_moving_an_organisation_and_changing_its_sector_keep_the_counts(cycle):
    from flows.services import organisations as org_svc

    officer = User.objects.filter(is_superuser=True).first() or h.county_officer()
    village = Organisation.objects.get(code="JC-QS-HT-02")
    org_svc.organisation_update(by=officer, organisation=village, leading=Organisation.objects.get(code="JC-QS-SQ"))
    assert counts.cycle_counts_drift(cycle) == {}
    org_svc.organisation_update(by=officer, organisation=Organisation.objects.get(code="JC-QS-SQ-01"), sector="school")
    assert counts.cycle_counts_drift(cycle) == {}
    assert counts.classifications_drift() == {}
