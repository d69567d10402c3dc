"""The cast POST answered in front of Django (flows/ballot_door/asgi.py): a well-formed cast gets the receipt from
there, after its batch's commit; everything else reaches Django with its body and gets the same pages as before."""

import asyncio
import http.client
import re
import threading
import urllib.parse
import uuid

import pytest
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.db import connection
from django.urls import reverse

from flows.ballot_door import workers as ballot_workers
from flows.ballot_door.asgi import cast_first
from flows.models import Ballot, CampaignState, Satisfaction, VoterToken
from flows.services import ballots as svc
from tests.ballot_helpers import mass_campaign

pytestmark = pytest.mark.django_db(transaction=True)
HOST = "127.0.0.1:8000"


@pytest.fixture
def workers(settings):  # noqa: F811 - pytest-django's settings fixture
    settings.BALLOT_WORKERS = 2
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    ballot_workers.shutdown()
    yield
    ballot_workers.shutdown()


class Site:
    """The ASGI app as project/asgi.py builds it, with a count of the requests Django itself answered."""

    def __init__(self):
        django_app = get_asgi_application()
        self.django_paths = []

        async def counting(scope, receive, send):
            self.django_paths.append(scope["path"])
            await django_app(scope, receive, send)

        self.app = cast_first(counting)

    async def request(self, method, path, body=b"", headers=(), client="127.0.0.1"):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in [("host", HOST), *headers]],
            "client": (client, 40000),
            "server": ("127.0.0.1", 8000),
        }
        delivered = False

        async def receive():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client stays until the answer

        sent = []

        async def send(message):
            sent.append(message)

        await self.app(scope, receive, send)
        start = sent[0]
        return (
            start["status"],
            {k.decode().lower(): v.decode() for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]).decode(),
        )

    def run(self, *requests):
        async def together():
            return await asyncio.gather(*requests)

        return asyncio.run(together())


def _csrf(site, c, headers=()):
    status, headers, body = site.run(site.request("GET", reverse("ballot_enter", args=[c.public_id]), b"", headers))[0]
    assert status == 200
    cookie = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
    return cookie, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)


def _cast(
    site, c, code, csrf, *, value=Satisfaction.SATISFIED, language=None, origin=True, extra=None, headers=(), **kw
):
    cookie, token = csrf
    form = {"csrfmiddlewaretoken": token, "code": code}
    form |= {f"m_{s.pk}_{d}": value for s in c.subjects.all() for d, _n in svc.dimensions_for(c)}
    form |= extra or {}
    cookies = f"csrftoken={cookie}" + (f"; {settings.LANGUAGE_COOKIE_NAME}={language}" if language else "")
    headers = [("content-type", "application/x-www-form-urlencoded"), ("cookie", cookies), *headers]
    headers += [("origin", f"http://{HOST}")] if origin is True else ([("origin", origin)] if origin else [])
    body = urllib.parse.urlencode(form).encode()
    return site.request("POST", reverse("ballot_cast", args=[c.public_id]), body, headers, **kw)


def _campaign(count):
    c, _a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=count, group="群众代表")
    connection.close()
    return c, officer, codes


def test_a_well_formed_cast_gets_its_receipt_without_django_in_the_voters_language(demo, workers):
    c, _officer, codes = _campaign(2)
    site = Site()
    csrf = _csrf(site, c)
    site.django_paths.clear()
    (status, headers, body), (en_status, _h, en_body) = [
        site.run(_cast(site, c, codes[0], csrf))[0],
        site.run(_cast(site, c, codes[1], csrf, language="en"))[0],
    ]
    assert status == 200 and "回执码" in body and headers["content-language"] == "zh-hans"
    assert en_status == 200 and "Your receipt code" in en_body
    assert site.django_paths == []
    receipt = re.search(r'id="receipt">([^<]+)<', body).group(1)
    assert svc.receipt_counted(c, receipt)
    assert Ballot.objects.filter(campaign=c).count() == 2


@pytest.mark.parametrize("behind_https_proxy", [False, True])
def test_the_receipt_has_the_headers_django_gives_it(demo, workers, behind_https_proxy):
    c, _officer, codes = _campaign(2)
    https = {}
    if behind_https_proxy:  # as project.settings.production (before the middlewares read the settings)
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD = True, 3600, True
        https = {"origin": f"https://{HOST}", "headers": [("x-forwarded-proto", "https")]}
    site = Site()
    csrf = _csrf(site, c, https.get("headers", ()))
    status, here, _b = site.run(_cast(site, c, codes[0], csrf, **https))[0]
    assert status == 200 and len(site.django_paths) == 1  # only the ballot page came from Django
    svc._casting_views.clear()
    settings.BALLOT_WORKERS = 0  # the same request through Django's request cycle
    _s, django, _b = site.run(_cast(site, c, codes[1], csrf, **https))[0]
    assert site.django_paths[-1].endswith("/cast/")
    assert ("strict-transport-security" in here) is behind_https_proxy
    assert {k: v for k, v in here.items() if k != "expires"} == {k: v for k, v in django.items() if k != "expires"}
    assert "no-store" in here["cache-control"] and here["x-frame-options"] == "DENY"


def test_refusals_reach_django_with_the_body_and_get_the_same_pages(demo, workers):
    c, _officer, codes = _campaign(3)
    site = Site()
    csrf = _csrf(site, c)
    assert site.run(_cast(site, c, codes[0], csrf))[0][0] == 200
    site.django_paths.clear()
    used, missing, unknown = site.run(
        _cast(site, c, codes[0], csrf),
        _cast(site, c, codes[1], csrf, value="nonsense"),
        _cast(site, c, "AAAAA-AAAAA", csrf),
    )
    assert used[0] == 400 and "已经使用" in used[2]
    assert missing[0] == 400 and "作答" in missing[2] and 'name="code"' in missing[2]
    assert unknown[0] == 400 and "不适用" in unknown[2]
    assert len(site.django_paths) == 3
    assert not VoterToken.objects.get(code_hash=svc.code_hash(c, codes[1])).used  # the code is still good
    assert Ballot.objects.filter(campaign=c).count() == 1


def test_a_closed_evaluation_and_an_unknown_one(demo, workers):
    c, officer, codes = _campaign(1)
    site = Site()
    csrf = _csrf(site, c)
    svc.campaign_close(by=officer, campaign=c)
    svc._casting_views.clear()
    connection.close()
    status, _h, body = site.run(_cast(site, c, codes[0], csrf))[0]
    assert status == 400 and "已结束" in body
    c.public_id = "no-such-evaluation"
    assert site.run(_cast(site, c, codes[0], csrf))[0][0] == 404
    assert Ballot.objects.filter(campaign__public_id=c.public_id).count() == 0
    assert c.__class__.objects.get(pk=c.pk).state == CampaignState.CLOSED


def test_a_client_over_the_wrong_code_limit_cannot_cast_even_a_good_code(demo, workers, settings):
    settings.BALLOT_GUESS_LIMIT = 3
    c, _officer, codes = _campaign(1)
    site = Site()
    csrf = _csrf(site, c)
    wrong = site.run(*(_cast(site, c, f"AAAAA-AAAA{n}", csrf, client="10.0.0.7") for n in range(3)))
    assert [status for status, _h, _b in wrong] == [400, 400, 400]  # counted once each
    status, _h, body = site.run(_cast(site, c, codes[0], csrf, client="10.0.0.7"))[0]
    assert status == 429 and "稍后" in body
    assert not VoterToken.objects.get(code_hash=svc.code_hash(c, codes[0])).used
    assert site.run(_cast(site, c, codes[0], csrf, client="10.0.0.8"))[0][0] == 200  # another phone may vote


def test_no_receipt_without_django_s_csrf_host_and_origin_checks(demo, workers):
    c, _officer, codes = _campaign(1)
    site = Site()
    cookie, token = _csrf(site, c)
    other_cookie, _t = _csrf(site, c)
    site.django_paths.clear()
    refused = site.run(
        _cast(site, c, codes[0], (cookie, "x" * 64)),  # a wrong token
        _cast(site, c, codes[0], (other_cookie, token)),  # another browser's token
        _cast(site, c, codes[0], (cookie, token), origin="https://elsewhere.example"),
        _cast(site, c, codes[0], (cookie, token), extra={"csrfmiddlewaretoken": ""}),
    )
    assert [status for status, _h, _b in refused] == [403, 403, 403, 403]
    assert len(site.django_paths) == 4
    settings.ALLOWED_HOSTS = ["example.org"]
    assert site.run(_cast(site, c, codes[0], (cookie, token), origin=False))[0][0] == 400
    assert Ballot.objects.filter(campaign=c).count() == 0
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    assert site.run(_cast(site, c, codes[0], (cookie, token), origin=False))[0][0] == 200  # no Origin on http: ok


def test_casts_at_the_same_moment_share_a_transaction_and_each_gets_its_own_answer(demo, workers):
    c, _officer, codes = _campaign(40)
    site = Site()
    csrf = _csrf(site, c)
    requests = [_cast(site, c, code, csrf) for code in codes] + [_cast(site, c, codes[0], csrf)]
    answers = site.run(*requests)
    receipts = [re.search(r'id="receipt">([^<]+)<', body).group(1) for status, _h, body in answers if status == 200]
    assert sorted(status for status, _h, _b in answers) == [200] * 40 + [400]
    assert len(set(receipts)) == 40 and all(svc.receipt_counted(c, r) for r in receipts)
    ballots = list(Ballot.objects.filter(campaign=c))
    assert len(ballots) == 40 and all(b.id.version == 4 for b in ballots)  # random ids, no order in them


def test_in_a_batch_a_refused_code_undoes_only_its_own_statements(demo):
    c, _officer, codes = _campaign(3)
    marks = {(s.pk, ""): Satisfaction.SATISFIED for s in c.subjects.all()}
    svc.ballot_cast(campaign=c, code=codes[1], marks=marks)
    outcomes = svc.ballots_cast_together(
        casts=[
            {"campaign": c, "code": codes[0], "marks": marks},
            {"campaign": c, "code": codes[1], "marks": marks},  # used already
            {"campaign": c, "code": codes[2], "marks": {}},  # no answer
            {"campaign": c, "code": "ZZZZZ-ZZZZZ", "marks": marks},  # unknown
        ]
    )
    assert isinstance(outcomes[0], str) and svc.receipt_counted(c, outcomes[0])
    assert [type(o) for o in outcomes[1:]] == [svc.BallotRefused, svc.BallotIncomplete, svc.BallotRefused]
    assert Ballot.objects.filter(campaign=c).count() == 2
    assert not VoterToken.objects.get(code_hash=svc.code_hash(c, codes[2])).used
    assert isinstance(uuid.UUID(str(Ballot.objects.filter(campaign=c).first().pk)), uuid.UUID)


def test_through_the_real_server_a_code_posted_twice_at_once_counts_once(demo):
    from tests.e2e.conftest import asgi_process

    c, _officer, codes = _campaign(20)
    with asgi_process(log_name="asgi-cast") as url:
        port = int(url.rsplit(":", 1)[1])
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        page.request("GET", f"/v/{c.public_id}/")
        response = page.getresponse()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
        subject = c.subjects.get()
        outcomes = []
        for code in codes:
            barrier, statuses = threading.Barrier(2), []

            def voter(code=code, barrier=barrier, statuses=statuses):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                form = urllib.parse.urlencode(
                    {"csrfmiddlewaretoken": token, "code": code, f"m_{subject.pk}_": "satisfied"}
                )
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={cookie}",
                    "Origin": url,
                }
                barrier.wait()
                conn.request("POST", f"/v/{c.public_id}/cast/", body=form, headers=headers)
                answer = conn.getresponse()
                statuses.append((answer.status, "回执码" in answer.read().decode()))

            threads = [threading.Thread(target=voter) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            outcomes.append(sorted(statuses))
    assert outcomes == [[(200, True), (400, False)]] * len(codes)
    assert Ballot.objects.filter(campaign=c).count() == len(codes)
    assert VoterToken.objects.filter(campaign=c, used=True).count() == len(codes)


def test_refusals_on_several_workers_at_once_share_the_campaign_safely(demo):
    """The cast path's campaign object is shared by the worker threads (campaign_for_casting); explaining a
    refusal must not modify it (django-fsm-2's refresh_from_db toggled the field's protection for every thread)."""
    c, _officer, codes = _campaign(1)
    view = svc.campaign_for_casting(c.public_id)
    marks = {(s.pk, ""): Satisfaction.SATISFIED for s in view.subjects}
    svc.ballot_cast(campaign=view.campaign, code=codes[0], marks=marks)
    failures = []

    def refused_again(n):
        for _ in range(50):
            try:
                svc.ballot_cast(campaign=view.campaign, code=codes[0] if n % 2 else "ZZZZZ-ZZZZZ", marks=marks)
            except svc.BallotRefused:
                continue
            except Exception as error:  # noqa: BLE001 - what the test looks for
                failures.append(error)
        connection.close()

    threads = [threading.Thread(target=refused_again, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert Ballot.objects.filter(campaign=c).count() == 1


def test_the_lean_path_counts_the_same_client_address_as_django(settings):
    """Behind a proxy the wrong-code limit must count the voter's address, not the proxy's, on both paths."""
    from django.test import RequestFactory

    from flows.ballot_door.asgi import _client_address
    from flows.web.client_address import client_address

    scope = {"client": ("10.0.0.1", 5000)}
    headers = {"x-forwarded-for": "203.0.113.7, 10.0.0.1"}
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.1")
    assert _client_address(scope, headers) == client_address(request) == "10.0.0.1"
    settings.CLIENT_IP_HEADER, settings.CLIENT_IP_PROXY_COUNT = "HTTP_X_FORWARDED_FOR", 2
    assert _client_address(scope, headers) == client_address(request) == "203.0.113.7"
