"""bin/scaleout runs the production settings on one machine over plain http on loopback (PLAIN_HTTP_ON_LOOPBACK=1):
cookies without the Secure flag and no https redirect, there and only there — with any other host name allowed the
settings refuse to load, so a real deployment cannot switch its security off this way."""

import os
import subprocess
import sys

from django.conf import settings

SHOW = (
    "from django.conf import settings as s; "
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
)


def production(script, **env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "project.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789",
        **env_extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plain_http_is_allowed_on_loopback_only():
    secure = production(SHOW, ALLOWED_HOSTS="zerenzhi.example.org")
    assert secure.stdout.split() == ["True", "True", "True", "31536000"], secure.stderr

    loopback = production(SHOW, ALLOWED_HOSTS="127.0.0.1,localhost", PLAIN_HTTP_ON_LOOPBACK="1")
    assert loopback.stdout.split() == ["False", "False", "False", "0"], loopback.stderr

    refused = production(SHOW, ALLOWED_HOSTS="127.0.0.1,zerenzhi.example.org", PLAIN_HTTP_ON_LOOPBACK="1")
    assert refused.returncode != 0
    assert "PLAIN_HTTP_ON_LOOPBACK" in refused.stderr and "ALLOWED_HOSTS" in refused.stderr
