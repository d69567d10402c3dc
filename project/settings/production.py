"""Production settings: everything from the environment; passes `manage.py check --deploy`."""

from django.core.exceptions import ImproperlyConfigured

from project.settings.base import *  # noqa: F403
from project.settings.base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes (a supervisor, a load balancer) ask the servers directly over http: answered there, never redirected
SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# The scale-out stack of bin/scaleout runs these settings on one machine over plain http on loopback, where secure
# cookies would never be sent back and every page would redirect to https. PLAIN_HTTP_ON_LOOPBACK=1 allows that, and
# only that: it refuses to start unless every allowed host is a loopback name, so a real deployment cannot use it.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
if env.bool("PLAIN_HTTP_ON_LOOPBACK", default=False):
    if not ALLOWED_HOSTS or set(ALLOWED_HOSTS) - LOOPBACK_HOSTS:
        raise ImproperlyConfigured(
            "PLAIN_HTTP_ON_LOOPBACK is for a stack on this machine only: ALLOWED_HOSTS must name only "
            f"{', '.join(sorted(LOOPBACK_HOSTS))}."
        )
    SECURE_SSL_REDIRECT = False
    SECURE_HSTS_SECONDS = 0
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
