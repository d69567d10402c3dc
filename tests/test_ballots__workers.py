"""The ballot pages on their worker threads (as the real server runs them): the cast happens on a worker that keeps
its connection, the voter's language goes with it, and a code cast twice at once through the page counts once."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from flows.ballot_door import workers as ballot_workers
from flows.models import Ballot, Satisfaction, VoterToken
from flows.services import ballots as svc
from tests.ballot_helpers import mass_campaign

TRIALS = 20


@pytest.fixture
def workers(settings):  # noqa: F811 - pytest-django's settings fixture
    settings.BALLOT_WORKERS = 2
    ballot_workers.shutdown()
    yield
    ballot_workers.shutdown()  # closes the workers' connections before the test database goes


def _marks(c):
    return {f"m_{s.pk}_{d}": Satisfaction.SATISFIED for s in c.subjects.all() for d, _n in svc.dimensions_for(c)}


@pytest.mark.django_db(transaction=True)
def test_the_cast_runs_on_a_worker_in_the_voters_language(demo, workers, monkeypatch):
    c, _a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=2, group="群众代表")
    connection.close()
    seen = []
    real_cast = svc.ballot_cast

    def recording_cast(**kwargs):
        from django.db import connection as worker_connection

        seen.append((threading.current_thread().name, id(worker_connection.connection)))
        return real_cast(**kwargs)

    monkeypatch.setattr(svc, "ballot_cast", recording_cast)
    url = reverse("ballot_cast", args=[c.public_id])
    chinese = Client().post(url, {"code": codes[0]} | _marks(c))
    assert chinese.status_code == 200 and "回执码" in chinese.content.decode()
    english_voter = Client()
    english_voter.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = english_voter.post(url, {"code": codes[1]} | _marks(c))
    assert english.status_code == 200 and "Your receipt code" in english.content.decode()
    assert all(name.startswith("ballot-worker") for name, _conn in seen) and len(seen) == 2
    assert Ballot.objects.filter(campaign=c).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_code_posted_twice_at_once_counts_once_through_the_workers(demo, workers):
    c, _a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=TRIALS, group="党员")
    marks = _marks(c)
    connection.close()
    url = reverse("ballot_cast", args=[c.public_id])
    outcomes = []
    for code in codes:
        barrier = threading.Barrier(2)
        statuses = []

        def voter(code=code, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(Client().post(url, {"code": code} | marks).status_code)
            connection.close()

        threads = [threading.Thread(target=voter) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        outcomes.append(sorted(statuses))
    assert outcomes == [[200, 400]] * TRIALS
    assert Ballot.objects.filter(campaign=c).count() == TRIALS
    assert VoterToken.objects.filter(campaign=c, used=True).count() == TRIALS
