"""Login lockouts (username AND address, never a username alone), secure session cookies, and the
Content-Security-Policy on every page."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ADDRESS_A, ADDRESS_B = "198.51.100.7", "203.0.113.9"


def attempt(username, password, address):
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def logged_in(client):
    return "_auth_user_id" in client.session


def fail_five_times(username="fenguan", address=ADDRESS_A):
    for _ in range(5):
        client, response = attempt(username, "wrong-password", address)
        assert response.status_code in (200, 429)
        assert not logged_in(client)
    return response


def test_five_wrong_passwords_lock_that_user_from_that_address_only(demo, settings):
    last = fail_five_times()
    assert last.status_code == 429
    assert "登录已暂时锁定" in last.content.decode()

    # even the right password is refused now, with the clear page saying when to try again
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)
    body = response.content.decode()
    assert response.status_code == 429 and not logged_in(client)
    assert "登录已暂时锁定" in body and "15 分钟" in body and "之后再试" in body
    assert "Traceback" not in body

    # the same official from another address still logs in: nobody can lock an official out everywhere
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_B)
    assert response.status_code == 302 and logged_in(client)

    # another official at the locked address still logs in
    client, response = attempt("shuji", settings.DEMO_PASSWORD, ADDRESS_A)
    assert response.status_code == 302 and logged_in(client)


def test_four_wrong_passwords_then_the_right_one_logs_in_and_resets_the_count(demo, settings):
    for _ in range(4):
        attempt("fenguan", "wrong-password", ADDRESS_A)
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)
    assert response.status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.filter(username="fenguan", ip_address=ADDRESS_A).exists()
    # the count starts from zero again: four more failures do not lock
    for _ in range(4):
        attempt("fenguan", "wrong-password", ADDRESS_A)
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)
    assert logged_in(client)


def travel(minutes):
    """Time travel: every recorded attempt happened `minutes` earlier."""
    for row in AccessAttempt.objects.all():
        earlier = row.attempt_time - datetime.timedelta(minutes=minutes)
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=earlier)


def test_the_lock_ends_after_the_cool_off(demo, settings):
    fail_five_times()
    travel(16)  # the cool-off is 15 minutes
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)
    assert response.status_code == 302 and logged_in(client)


def test_an_attempt_during_the_lock_starts_the_wait_again_as_the_page_says(demo, settings):
    fail_five_times()
    travel(10)
    assert attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)[1].status_code == 429  # still locked: waits anew
    travel(10)  # 20 minutes after the failures, but only 10 after the last attempt
    assert attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)[1].status_code == 429
    travel(16)
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)
    assert response.status_code == 302 and logged_in(client)


def test_behind_a_proxy_the_address_comes_from_the_configured_header(demo, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = "10.0.0.2"

    def via_proxy(password, client_address, forged=""):
        client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"{forged}{client_address}")
        return client, client.post(reverse("login"), {"username": "fenguan", "password": password})

    for i in range(5):  # a forged left-hand entry does not change the address the proxy saw
        via_proxy("wrong-password", ADDRESS_A, forged=f"192.0.2.{i}, ")
    client, response = via_proxy(settings.DEMO_PASSWORD, ADDRESS_A)
    assert response.status_code == 429
    client, response = via_proxy(settings.DEMO_PASSWORD, ADDRESS_B)  # same proxy, another client
    assert response.status_code == 302 and logged_in(client)


def test_the_session_cookie_is_http_only_same_site_and_ends_with_the_browser(demo, settings):
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600  # server side, a kept-open browser is logged out too


def test_a_logged_out_session_opens_nothing_though_sessions_are_cached(demo, settings):
    """With Redis, sessions are read from the cache (settings.SESSION_ENGINE; the PostgreSQL + Redis suite):
    logging out must end the session there too, and a copy of the old cookie must not bring it back."""
    client, response = attempt("fenguan", settings.DEMO_PASSWORD, ADDRESS_A)
    assert response.status_code == 302 and client.get(reverse("home")).status_code == 200
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = replay.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=stolen).exists()


def policy_of(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "url_name,user",
    [("login", None), ("home", "fenguan"), ("organisation_tree", "zuzhibu"), ("cycle_list", "zuzhibu")],
)
def test_every_page_forbids_inline_script_and_framing(client, demo, login, url_name, user):
    if user:
        login(user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'self'" in policy["connect-src"]
    assert response["X-Frame-Options"] == "DENY"


def test_templates_hold_no_inline_script():
    """Every <script> in our templates loads a static file (an inline one would be blocked by the policy)."""
    import re
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(str(path))
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            offenders.append(str(path))
    assert offenders == []


def test_the_evidence_download_keeps_its_own_sandbox_policy(client, demo):
    from flows.models import Role
    from flows.services import assessments as svc
    from tests.cycle_helpers import assessment_of, holder, open_cycle, pdf

    a = assessment_of(open_cycle())
    deputy = holder(a.organisation.code, Role.DEPUTY)
    evidence = svc.evidence_add(assessment=a, by=deputy, upload=pdf(), content_type="application/pdf")
    client.force_login(deputy)
    response = client.get(reverse("evidence_download", kwargs={"pk": evidence.pk}))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"


def test_passwords_are_stored_as_argon2id_and_an_older_pbkdf2_hash_is_replaced_at_login(settings):
    """The product's hashers (project/settings/base.py), not the test settings' fast MD5: a new password is stored
    as Argon2id at OWASP's parameters; an account whose password was stored before as PBKDF2 still logs in, and from
    then on its password is stored as Argon2id; a wrong password changes nothing."""
    from django.contrib.auth.hashers import make_password

    from flows.models import User
    from project.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    assert make_password("Zrz-2026-secret").startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")

    old = make_password("Zrz-2026-secret", hasher="pbkdf2_sha256")
    user = User.objects.create(username="laozhanghao", real_name="老账号", password=old)
    client, response = attempt("laozhanghao", "wrong-password", ADDRESS_A)
    user.refresh_from_db()
    assert not logged_in(client) and user.password == old

    client, response = attempt("laozhanghao", "Zrz-2026-secret", ADDRESS_A)
    user.refresh_from_db()
    assert response.status_code == 302 and logged_in(client)
    assert user.password.startswith("argon2$argon2id$") and user.check_password("Zrz-2026-secret")
