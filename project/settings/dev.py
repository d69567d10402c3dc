"""Development and demo settings: the embedded default (SQLite file, in-memory channel layer), served as in
production (no debug pages unless DEBUG=1)."""

from project.settings.base import *  # noqa: F403
from project.settings.base import env

# The first command serves like production: the app's own Chinese error pages, never Django's technical ones.
# A developer who wants the debug pages asks for them: DEBUG=1 bin/serve.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-not-secret-zerenzhi-2026")
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic needed
