import datetime

from django.utils import timezone

from flows.models import Satisfaction
from flows.services import ballots as svc
from tests import cycle_helpers as h


def mass_campaign(*, code=h.VILLAGE, open_=True, k=5, cycle=None):
    cycle = cycle or h.open_cycle()
    a = h.assessment_of(cycle, code)
    h.do_self_assessment(a)
    h.approve_self(a)
    officer = h.county_officer()
    c = svc.campaign_for_assessment(
        by=officer, assessment=a, k_threshold=k, closes_at=timezone.now() + datetime.timedelta(days=3)
    )
    if open_:
        c = svc.campaign_open(by=officer, campaign=c)
    a.refresh_from_db()
    return c, a, officer


def vote(c, code, value=Satisfaction.SATISFIED):
    marks = {(s.pk, d): value for s in c.subjects.all() for d, _n in svc.dimensions_for(c)}
    return svc.ballot_cast(campaign=c, code=code, marks=marks)


def issue_groups(c, officer, sizes: dict) -> dict:
    """Codes for several voter groups at once: {group: count} → {group: [codes]}."""
    return {group: svc.tokens_issue(by=officer, campaign=c, count=n, group=group)[1] for group, n in sizes.items()}
