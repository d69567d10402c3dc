"""Development and demo settings: the embedded default (SQLite file, in-memory channel layer)."""

from project.settings.base import *  # noqa: F403
from project.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-not-secret-zerenzhi-2026")
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic needed
