"""The same voting code used twice at the same instant, 200 times: exactly one ballot each time."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from flows.models import Ballot, Satisfaction, VoterToken
from flows.services import ballots as svc
from tests import cycle_helpers as h

TRIALS = 200


@pytest.mark.django_db(transaction=True)
def test_a_code_cast_twice_at_once_counts_once(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    h.approve_self(a)
    officer = h.county_officer()
    c = svc.campaign_for_assessment(by=officer, assessment=a, closes_at=timezone.now() + datetime.timedelta(days=1))
    c = svc.campaign_open(by=officer, campaign=c)
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=TRIALS, group="党员")
    marks = {(s.pk, ""): Satisfaction.SATISFIED for s in c.subjects.all()}
    outcomes = []
    for code in codes:
        barrier = threading.Barrier(2)
        results = []

        def worker(code=code, barrier=barrier, results=results):
            barrier.wait()
            try:
                results.append(("receipt", svc.ballot_cast(campaign=c, code=code, marks=marks)))
            except svc.BallotRefused:
                results.append(("refused", None))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        outcomes.append(sorted(kind for kind, _r in results))
    assert outcomes == [["receipt", "refused"]] * TRIALS
    assert Ballot.objects.filter(campaign=c).count() == TRIALS
    assert VoterToken.objects.filter(campaign=c, used=True).count() == TRIALS
