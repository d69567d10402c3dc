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
    "flows.web.redis_errors.RedisUnavailableMiddleware",
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
        # Each server thread keeps its connection between requests (flows/web/middleware_asgi.py: a fixed pool of
        # threads). Opening one reads the whole schema and runs the PRAGMAs above: about 2 ms of CPU, more than a
        # page's queries; kept for this many seconds, then opened again at the start of a request.
        db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    else:
        # PostgreSQL: a server that is down or unreachable is given up on in seconds, never left to hang a request
        db.setdefault("OPTIONS", {})["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=2)
        db["CONN_HEALTH_CHECKS"] = True  # a connection broken by a restart is replaced before a request uses it
        # The statements run through `flows.models.prepared.prepared_cursor` (my tasks' one statement, the header's)
        # are prepared on their first run and kept on the connection; Django's own cursor never prepares (its
        # client-side binding cannot). None turns preparing off: for a pooler in transaction mode.
        db["OPTIONS"]["prepare_threshold"] = 0 if env.bool("DATABASE_PREPARED", default=True) else None
        if env.bool("DATABASE_POOL", default=True):
            # A pool of connections per process (Django's own, on psycopg_pool). Under ASGI each request runs in a
            # thread of its own, so without a pool every request opened a connection (3 ms on loopback, a server
            # process forked each time) and persistent connections would leak one per thread.
            db["OPTIONS"]["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN", default=2),
                "max_size": env.int("DATABASE_POOL_MAX", default=20),
                # Seconds a request waits for a connection. While the database is down the pool has none to give,
                # so this is how long a request takes to get the 503 page: short (it was 20 s). A request holds a
                # connection for milliseconds; a pool that cannot give one within this is overloaded anyway.
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=1.5),
                # psycopg_pool retries a failed connection with a doubling pause (1, 2, 4 … s) until this many
                # seconds have passed, then the next request starts again from a 1 s pause. Its default (300 s) let
                # the pause grow past the outage, so requests stalled for seconds after the database was back.
                "reconnect_timeout": env.float("DATABASE_POOL_RECONNECT_TIMEOUT", default=2),
            }
            db["CONN_MAX_AGE"] = 0  # a pooled connection goes back to the pool at the end of each request
        else:
            db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    db["ATOMIC_REQUESTS"] = False
    return db


DATABASES = {"default": sqlite_or_url(BASE_DIR / "var" / "zerenzhi.sqlite3")}
# The public ballot pages run on this many worker threads, each keeping its connection (flows/ballot_door/workers.py).
# One on PostgreSQL too: casts that arrive while a batch commits make the next, larger batch (bench/ballots.py: two or
# four workers made smaller batches, cost more CPU per cast and cast fewer per second); bin/scaleout runs 3 processes
BALLOT_WORKERS = env.int("BALLOT_WORKERS", default=1)

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    # Redis restarting or away must not take pages down. A command on a connection that a restart broke is sent
    # again once on a new connection (redis-py retries only when told to), and an unreachable Redis is given up on
    # within a second instead of hanging a request. What uses it: the ballot guess counter, an Excel job's progress,
    # job leases; a request that needs it while it is away gets the 503 page (flows/web/redis_errors.py).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 1),
            },
        }
    }
    # The channel layer's connections have no socket timeout. redis-py 8 defaults to 5 s, the same 5 s channels_redis
    # blocks in BZPOPMIN, so reads timed out now and again and websockets were dropped (1011). Any timeout at all
    # makes redis-py send through asyncio.wait_for, which on Python 3.11 swallows a cancellation that lands as the
    # send completes: the receive loop of a websocket closed at that moment then never ends (BZPOPMIN every 5 s,
    # for ever). A Redis that vanishes is noticed by TCP keepalive instead, in about 25 s. As for the cache, a command
    # on a connection broken by a Redis restart is sent again once; a push that cannot reach Redis at all is dropped
    # (flows/live/layer.py): the change is committed, and open pages poll until their socket is back.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "flows.live.layer.RedisChannelLayer",
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
                        "retry": AsyncRetry(ExponentialBackoff(cap=0.5, base=0.05), 1),
                    }
                ]
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # A message left unacknowledged this many seconds is given to a worker again. A job whose worker died does not
    # wait for it (the job sweep resumes it, see CELERY_JOB_LEASE_SECONDS), and a second delivery of a job that is
    # running or finished does nothing (it finds the job's lease held or the job done); it only has to exceed the
    # longest job so that such deliveries stay rare (a launch of 100,000 organisations takes about 5 minutes).
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
# Sessions live in the database only, with or without Redis: one primary-key read a page (on loopback PostgreSQL the
# round trip costs what a Redis GET does, 0.03 ms). Read through Redis (cached_db), every page and every login failed
# while Redis was away, and a session ended while Redis was away would have lived on in it afterwards. A cache in each
# process's memory would let a session ended in one server process live on in another's.
SESSION_ENGINE = "flows.web.sessions"  # Django's database sessions, read with a prepared statement
CELERY_TIMEZONE = "Asia/Shanghai"
# Jobs are acknowledged when they finish, and one whose worker process died is put back on the queue: each
# job's effect is idempotent (the launch resumes, an import is marked done in its own transaction).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A running job holds a lease (an Excel job on its row, a cycle launch in the cache) that its heartbeat renews every
# third of this; a lease that ran out means the worker died, and the job sweep (every CELERY_JOB_SWEEP_SECONDS, by
# Celery beat) marks the job interrupted (已中断，正在恢复) and queues it again: resumed within about 45 s.
CELERY_JOB_LEASE_SECONDS = env.int("CELERY_JOB_LEASE_SECONDS", default=30)
CELERY_JOB_SWEEP_SECONDS = env.int("CELERY_JOB_SWEEP_SECONDS", default=15)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")  # where jobs and resumed jobs go

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

# Argon2id at OWASP's parameters first (project/passwords.py); the others verify hashes stored before and are
# replaced by Argon2id at the holder's next login
PASSWORD_HASHERS = [
    "project.passwords.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

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
    # jobs whose worker died, resumed; a sweep not run in time is dropped (the next one does the same)
    "job-sweep": {
        "task": "flows.jobs.jobs_sweep",
        "schedule": float(CELERY_JOB_SWEEP_SECONDS),
        "options": {"expires": float(CELERY_JOB_SWEEP_SECONDS)},
    },
}
SCHEDULER_ENABLED = env.bool("SCHEDULER_ENABLED", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="zerenzhi@localhost")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
