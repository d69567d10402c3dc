"""Sessions: Django's database sessions, read by our engine with one prepared statement (flows/web/sessions.py).
What a user notices is that nothing changed: a signed-in browser stays signed in, an expired, ended or made-up
session opens nothing, and sessions written before the engine changed still open."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends import db as django_db_sessions
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from flows.models import User
from flows.web.sessions import SessionStore

pytestmark = pytest.mark.django_db


def signed_in(user, store_class) -> str:
    """A session as `django.contrib.auth.login` makes one, written by `store_class`; its key."""
    store = store_class()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def opens_home(key) -> bool:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    response = client.get(reverse("home"))
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
        return False
    assert response.status_code == 200
    return True


def test_a_session_written_by_djangos_own_engine_still_opens_the_users_pages(demo):
    assert type(Client().session) is SessionStore  # the engine the pages use
    user = User.objects.get(username="fenguan")
    assert opens_home(signed_in(user, django_db_sessions.SessionStore))  # e.g. signed in before the engine changed
    assert opens_home(signed_in(user, SessionStore))


def test_expired_ended_and_made_up_sessions_open_nothing(demo):
    user = User.objects.get(username="fenguan")
    expired = signed_in(user, SessionStore)
    Session.objects.filter(session_key=expired).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert not opens_home(expired)
    ended = signed_in(user, SessionStore)
    SessionStore(ended).delete()
    assert not opens_home(ended)
    for made_up in [
        "x" * 32,
        "short",
        "k" * 500,
        "'; DROP TABLE django_session; --",
        "%s%s",
        "%E4%BC%9A%E8%AF%9D",
        "é" * 40,
    ]:
        assert not opens_home(made_up), made_up
    assert Session.objects.exists()  # the table is untouched


def test_reading_a_session_gives_its_data_or_nothing_and_then_no_key(demo):
    user = User.objects.get(username="fenguan")
    key = signed_in(user, SessionStore)
    store = SessionStore(key)
    assert store[SESSION_KEY] == str(user.pk) and store.session_key == key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    gone = SessionStore(key)
    assert gone.load() == {} and gone.session_key is None  # anything kept now goes under a new key
    gone["note"] = 1
    gone.save()
    assert gone.session_key != key


def test_signing_in_and_out_through_the_login_page(demo):
    client = Client()
    response = client.post(reverse("login"), {"username": "fenguan", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert not opens_home(key)
