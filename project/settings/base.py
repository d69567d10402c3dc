"""Settings shared by every configuration. Values that differ per machine come from the environment."""

import datetime
import socket
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "viewflow",
    "viewflow.workflow",
    "treebeard",
    "axes",
    "csp",
    "flows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "flows.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "flows.web.middleware.ActingUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "flows.web.database_errors.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "flows.web.context_processors.unread_notifications",
                "flows.web.context_processors.menu",
            ],
        },
    },
]


def sqlite_or_url(default_path: Path) -> dict:
    """DATABASE_URL if set, else an SQLite file in WAL mode with immediate transactions."""
    db = env.db("DATABASE_URL", default=f"sqlite:///{default_path}")
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000;"
                ),
            }
        )
    elif env.bool("DATABASE_POOL", default=True):
        # PostgreSQL: a pool of connections per process (Django's own, on psycopg_pool). Under ASGI each request runs
        # in a thread of its own, so without a pool every request opened a connection (3 ms on loopback, a server
        # process forked each time) and persistent connections would leak one per thread.
        db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=20),  # seconds a request waits for a connection
        }
        db["CONN_MAX_AGE"] = 0  # a pooled connection goes back to the pool at the end of each request
    else:
        db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    db["ATOMIC_REQUESTS"] = False
    return db


DATABASES = {"default": sqlite_or_url(BASE_DIR / "var" / "zerenzhi.sqlite3")}
# The public ballot pages run on this many worker threads, each keeping its connection (flows/ballot_door/workers.py)
BALLOT_WORKERS = env.int(
    "BALLOT_WORKERS", default=1 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 4
)

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # The channel layer's connections have no socket timeout. redis-py 8 defaults to 5 s, the same 5 s channels_redis
    # blocks in BZPOPMIN, so reads timed out now and again and websockets were dropped (1011). Any timeout at all
    # makes redis-py send through asyncio.wait_for, which on Python 3.11 swallows a cancellation that lands as the
    # send completes: the receive loop of a websocket closed at that moment then never ends (BZPOPMIN every 5 s,
    # for ever). A Redis that vanishes is noticed by TCP keepalive instead, in about 25 s.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "socket_keepalive": True,
                        "socket_keepalive_options": {
                            socket.TCP_KEEPIDLE: 10,
                            socket.TCP_KEEPINTVL: 5,
                            socket.TCP_KEEPCNT: 3,
                        },
                    }
                ]
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # A job whose worker died is given to another worker after this many seconds unacknowledged; it must exceed
    # the longest job (a launch of 100,000 organisations takes about 5 minutes on 2 cores).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # how often a worker looks for such jobs: every interval × throttle seconds (kombu's defaults: 10 × 10)
        "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True  # embedded default: background work runs in-process
# With Redis, sessions are read from it and written through to the database: a cache read spares a database query
# on every request, and logging out deletes both. Without Redis they stay in the database: a cache in each process's
# memory would let a session ended in one server process live on in another's (0.2 ms a page on SQLite is the price).
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if REDIS_URL else "db")
CELERY_TIMEZONE = "Asia/Shanghai"
# Jobs are acknowledged when they finish, and one whose worker process died is put back on the queue: each
# job's effect is idempotent (the launch resumes, an import is marked done in its own transaction).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

AUTH_USER_MODEL = "flows.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins lock out the pair (username, client address), never a username alone: someone guessing from one
# address cannot lock an official out everywhere. A successful login clears the count.
AUTHENTICATION_BACKENDS = [
    "flows.web.login_lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True  # the lockout page says so: each attempt starts the wait again
AXES_LOCKOUT_CALLABLE = "flows.web.login_lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "flows.web.client_address.client_address"
# Where the client's address comes from: REMOTE_ADDR, or behind a reverse proxy the header it sets
# (e.g. HTTP_X_FORWARDED_FOR with CLIENT_IP_PROXY_COUNT proxies of our own in front, HTTP_X_REAL_IP).
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", default="REMOTE_ADDR")
CLIENT_IP_PROXY_COUNT = env.int("CLIENT_IP_PROXY_COUNT", default=1)

# Sessions: the cookie is out of reach of scripts, not sent on cross-site requests, and ends with the browser
# or after SESSION_COOKIE_AGE (default 8 hours, a working day) of a kept-open browser.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)

# Content-Security-Policy on every response (the evidence download sends its own "sandbox" policy): scripts,
# styles and connections only from this site (same-origin websockets included), no inline script, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "flows" / "locale"]  # one catalogue for flows/, forms/ and templates/
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS: list = []  # static files live in flows/static
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded evidence lives outside any public URL; it is served only through a policy-checked view.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "private")
MEDIA_URL = "/_media/"  # no route serves it: files go out only through policy-checked views

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The demo password is printed by bin/serve; it only exists where demo data was loaded.
DEMO_PASSWORD = env("DEMO_PASSWORD", default="Zrz-demo-2026")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# Excel imports: refused before parsing above these limits (see flows/excel/reading.py)
EXCEL_IMPORT_MAX_BYTES = env.int("EXCEL_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
EXCEL_IMPORT_MAX_UNCOMPRESSED = env.int("EXCEL_IMPORT_MAX_UNCOMPRESSED", default=400 * 1024 * 1024)
EXCEL_IMPORT_MAX_ENTRIES = env.int("EXCEL_IMPORT_MAX_ENTRIES", default=2000)
EXCEL_IMPORT_MAX_ROWS = env.int("EXCEL_IMPORT_MAX_ROWS", default=200_000)
EXCEL_BACKGROUND_ROWS = env.int("EXCEL_BACKGROUND_ROWS", default=3000)  # larger exports run as background jobs
BALLOT_KEY = env("BALLOT_KEY", default="")  # keyed hash of voting codes; SECRET_KEY when empty
BALLOT_GUESS_LIMIT = env.int("BALLOT_GUESS_LIMIT", default=20)  # wrong codes per client per window
BALLOT_GUESS_WINDOW = env.int("BALLOT_GUESS_WINDOW", default=600)  # seconds
REMIND_WORKING_DAYS = env.int("REMIND_WORKING_DAYS", default=2)  # 催办: this many working days before a due date
ESCALATE_WORKING_DAYS = env.int("ESCALATE_WORKING_DAYS", default=3)  # to the office after this many days overdue
SCHEDULER_SECONDS = env.int("SCHEDULER_SECONDS", default=300)  # embedded scheduler: how often the sweeps run
CELERY_BEAT_SCHEDULE = {
    "periodic-sweeps": {"task": "flows.jobs.periodic_sweeps", "schedule": float(SCHEDULER_SECONDS)},
}
SCHEDULER_ENABLED = env.bool("SCHEDULER_ENABLED", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="zerenzhi@localhost")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
