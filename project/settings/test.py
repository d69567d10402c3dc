"""Test settings: DATABASE_URL and REDIS_URL pick PostgreSQL and Redis; otherwise SQLite in WAL mode."""

from project.settings.base import *  # noqa: F403
from project.settings.base import BASE_DIR, env, sqlite_or_url

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES = {"default": sqlite_or_url(BASE_DIR / "var" / "test.sqlite3")}
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
# bin/test runs the SQLite and the PostgreSQL suite side by side: each keeps its uploads in a folder of its own (their
# rows have the same ids, so their files would have the same paths, and a test counting what a refused save left
# behind would count the other suite's files)
_SUITE = f"{'sqlite' if _SQLITE else 'postgresql'}-{env('PYTEST_XDIST_WORKER', default='main')}"
if _SQLITE:
    # a file (not :memory:) so that threads and the live server share it, in WAL mode
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-{env('PYTEST_XDIST_WORKER', default='main')}.sqlite3")
    }
# The suite's transaction-wrapped tests call the ballot views inline; the real server's workers are exercised by the
# ASGI server of the browser tests and by tests that turn them on with a transactional database.
BALLOT_WORKERS = env.int("BALLOT_WORKERS", default=0)
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{_SUITE}"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Background jobs run in-process in the suite on both configurations; the Celery worker itself is exercised by
# the scale-out tests that start one.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

SCHEDULER_ENABLED = False  # the suite runs sweeps itself, with the dates it chooses
WHITENOISE_USE_FINDERS = True  # the ASGI server started by the browser tests serves static files from the apps
