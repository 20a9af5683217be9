"""Settings for the Community Health Directory.

Every deploy-time value comes from the environment (see README.md, "Settings").
The defaults are safe for local use: SQLite under var/, DEBUG off unless asked.
Production (DEBUG off) refuses to start without DJANGO_SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from directory.logging import configure_sentry
from directory.maps import tile_source

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number such as 0.1, not {value!r}.") from exc


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        # Local development only: never used when DEBUG is off.
        SECRET_KEY = "django-insecure-local-development-key-not-for-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value in production, "
            "or set DJANGO_DEBUG=true for local development."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin, whose index opens on the curators' work queue.
    "initiatives.curation.adminconfig.CurationAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "axes",
    "directory",
    "initiatives",
    "initiatives.curation",
    "initiatives.providers",
    "places",
    # Jobs: long work (big imports, bulk actions over a whole filter) queued in the
    # database and run by `manage.py db_worker` (the Django tasks backport). After
    # initiatives.curation, whose own `db_worker` (recovery first, then this one's
    # worker) wins: of two commands with one name, the app listed first wins.
    "django_tasks",
    "django_tasks.backends.database",
]

# The jobs' queue: a table in the register's own database, so any number of workers
# (`manage.py db_worker`) can run at once, each taking one job at a time.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"},
}
# A running job writes its progress and a heartbeat this often (seconds). A running job
# whose heartbeat is older than JOB_STALE_SECONDS lost its worker (killed, or the machine
# went away): `manage.py recover_jobs`, which every worker runs as it starts, queues it
# again, up to JOB_MAX_ATTEMPTS runs in all, then marks it failed (it changed nothing).
JOB_PROGRESS_SECONDS = env_float("DJANGO_JOB_PROGRESS_SECONDS", 2)
JOB_STALE_SECONDS = env_float("DJANGO_JOB_STALE_SECONDS", 60)
JOB_MAX_ATTEMPTS = env_int("DJANGO_JOB_MAX_ATTEMPTS", 3)
if JOB_PROGRESS_SECONDS <= 0 or JOB_STALE_SECONDS <= JOB_PROGRESS_SECONDS:
    raise ImproperlyConfigured(
        "DJANGO_JOB_PROGRESS_SECONDS must be more than 0, and DJANGO_JOB_STALE_SECONDS "
        "longer than it (a few heartbeats), or live jobs would be taken for dead ones."
    )
if JOB_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("DJANGO_JOB_MAX_ATTEMPTS must be 1 or more.")

# A CSV upload of more rows than this is imported by a worker, as a job; a smaller one
# at once, in the request.
IMPORT_JOB_ROWS = env_int("DJANGO_IMPORT_JOB_ROWS", 500)

MIDDLEWARE = [
    # Ids and logs every request, including those answered by the middleware below.
    "directory.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, plus the map's tile server in img-src when one is set.
    "directory.middleware.CSPMiddleware",
    "directory.middleware.PermissionsPolicyMiddleware",
    # Before anything that checks the host: probes come over plain HTTP to an IP address.
    "directory.middleware.HealthCheckMiddleware",
    # Before the CSRF check, which reads the body: an over-large one is refused unread.
    "directory.middleware.ApiErrorsMiddleware",
    "directory.middleware.PrimaryDatabaseMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A statement cancelled by a time limit: 503 "try again" (its exceptions come from views).
    "directory.middleware.DatabaseBusyMiddleware",
    # Records who made each change that django-simple-history keeps.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "directory.urls"
# JSON for the API, Django's page elsewhere (directory/errors.py).
CSRF_FAILURE_VIEW = "directory.views.csrf_failure"
# Where curators sign in; a less obvious path keeps password-guessing bots away.
ADMIN_PATH = os.environ.get("DJANGO_ADMIN_PATH", "admin/").strip().strip("/") + "/"
if ADMIN_PATH == "/":
    raise ImproperlyConfigured('DJANGO_ADMIN_PATH must not be empty; the default is "admin/".')
WSGI_APPLICATION = "directory.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The header's "Shortlist (N)" and which results are on it.
                "initiatives.shortlist.context.shortlist",
            ],
        },
    },
]

# Figures that count the whole register (facet counts, headline figures, area counts,
# insights) are cached (initiatives/caching.py). "local": each worker keeps its own, in
# memory; other workers see a change when their entry expires. "redis": Redis (or
# Valkey) at DJANGO_REDIS_URL, which every worker and server shares, so a change shows
# everywhere at once and each figure is counted once for all of them: the choice for
# several servers. "database": one table shared the same way, for deployments with no
# Redis. Setting DJANGO_REDIS_URL alone chooses "redis".
REDIS_URL = os.environ.get("DJANGO_REDIS_URL", "").strip()
FIGURES_CACHE = os.environ.get("DJANGO_FIGURES_CACHE", "").strip().lower() or (
    "redis" if REDIS_URL else "local"
)
# Seconds a figure is kept; 0 turns the cache off. The register's version in every key
# drops figures at once when a record changes, so the timeout only bounds how long
# other workers' local caches may lag: short for "local", long for the shared caches.
FIGURES_CACHE_SECONDS = env_int(
    "DJANGO_FIGURES_CACHE_SECONDS", 120 if FIGURES_CACHE == "local" else 3600
)
# After a change commits, count the whole register's facet counts again in a
# background thread, so the first visitor after a change finds them counted.
FIGURES_WARM = env_bool("DJANGO_FIGURES_WARM", True) and FIGURES_CACHE_SECONDS > 0
# Keep a public page that is the same for every visitor whole, under its ETag (the
# register's version and the URL), in the same cache: the next visitor gets it without
# it being made again. Off with FIGURES_CACHE_SECONDS=0.
PAGE_CACHE = env_bool("DJANGO_PAGE_CACHE", True)
# PostgreSQL: a listing the planner expects to hold more than this many results shows
# "about N" (its estimate, rounded) instead of counting them; 0 (the default): always
# count. The CSV, the XLSX and the API's total_items always count.
ESTIMATE_TOTAL_OVER = env_int("DJANGO_ESTIMATE_TOTAL_OVER", 0)
# Seconds the listing page waits for the counts beside its filters (0: as long as they
# take). Past it the page goes out without them, saying so, and they are counted in a
# background thread for the next visitor (with FIGURES_WARM). The number of results and
# the tiers of a place search are always counted.
DB_COUNT_BUDGET = env_float("DJANGO_DB_COUNT_BUDGET", 0.15)
# PostgreSQL: within that budget, counts over more results than this (the planner's
# estimate) are not started at all, but left for the background at once: they would
# not finish in time, and the time spent on them would be lost. 0: always start them.
DB_COUNT_INLINE_ROWS = env_int("DJANGO_DB_COUNT_INLINE_ROWS", 20000)
if FIGURES_CACHE == "local":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "directory-figures",
            # A listing's counts with its filters take about 110 KB: at most ~170 MB a worker.
            "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_FIGURES_CACHE_ENTRIES", 1500)},
        }
    }
elif FIGURES_CACHE == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "DJANGO_FIGURES_CACHE=redis needs DJANGO_REDIS_URL, such as redis://127.0.0.1:6379/0."
        )
    CACHES = {
        "default": {
            # Django's own Redis backend, with the `redis` client. Entries expire after
            # FIGURES_CACHE_SECONDS; give Redis a maxmemory with an LRU policy to bound it.
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_REDIS_KEY_PREFIX", "directory").strip(),
            # A Redis that stops answering must not hang a page: the figures are counted
            # afresh instead (initiatives.caching treats a cache error as a miss).
            "OPTIONS": {
                "socket_connect_timeout": env_float("DJANGO_REDIS_TIMEOUT", 0.5),
                "socket_timeout": env_float("DJANGO_REDIS_TIMEOUT", 0.5),
            },
        }
    }
elif FIGURES_CACHE == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "directory_figures_cache",  # made by `migrate` (createcachetable)
            "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_FIGURES_CACHE_ENTRIES", 5000)},
        }
    }
else:
    raise ImproperlyConfigured(
        f"DJANGO_FIGURES_CACHE must be local, redis or database, not {FIGURES_CACHE!r}."
    )

# SQLite under var/ unless DATABASE_URL names another database (PostgreSQL in production).
SQLITE_PATH = BASE_DIR / "var" / "directory.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
CONN_MAX_AGE = env_int("DJANGO_CONN_MAX_AGE", 600)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets readers carry on while a curator writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

# Time limits on PostgreSQL, so that nothing hangs: a statement running longer than
# DB_STATEMENT_TIMEOUT, or waiting longer than DB_LOCK_TIMEOUT for a row another write
# holds, is cancelled and the request answered with a clear refusal (directory/busy.py).
# Management commands (manage.py sets DJANGO_PROCESS=command) get longer limits: imports
# and migrations run for minutes. Seconds; 0 turns a limit off.
DB_LIMITS_FOR = os.environ.get("DJANGO_PROCESS", "web").strip() or "web"
if DB_LIMITS_FOR == "command":
    DB_STATEMENT_TIMEOUT = env_float("DJANGO_DB_COMMAND_STATEMENT_TIMEOUT", 1800)
    DB_LOCK_TIMEOUT = env_float("DJANGO_DB_COMMAND_LOCK_TIMEOUT", 60)
else:
    DB_STATEMENT_TIMEOUT = env_float("DJANGO_DB_STATEMENT_TIMEOUT", 5)
    DB_LOCK_TIMEOUT = env_float("DJANGO_DB_LOCK_TIMEOUT", 3)
# The whole register's figures (every facet's counts, the insights figures) are counted
# once per change for every visitor, mostly in the background: at a million records
# that takes longer than DB_STATEMENT_TIMEOUT allows a page, so they get this instead.
DB_FIGURES_STATEMENT_TIMEOUT = env_float("DJANGO_DB_FIGURES_STATEMENT_TIMEOUT", 60)
# A connection left idle inside a transaction longer than this (a worker stopped with
# SIGSTOP, or hung in Python, with rows locked) is closed by PostgreSQL, which rolls the
# transaction back and so frees its row locks. Seconds; 0 turns it off.
DB_IDLE_IN_TRANSACTION_TIMEOUT = env_float("DJANGO_DB_IDLE_IN_TRANSACTION_TIMEOUT", 60)
# /healthz's probe: a read of the register that must answer within this (seconds).
HEALTHZ_PROBE_TIMEOUT = env_float("DJANGO_HEALTHZ_PROBE_TIMEOUT", 1)


def postgres_options() -> str:
    """The server options every PostgreSQL connection starts with."""
    # The register's queries are short: PostgreSQL's JIT compiler costs more than it saves.
    options = ["-c jit=off"]
    for name, seconds in [
        ("statement_timeout", DB_STATEMENT_TIMEOUT),
        ("lock_timeout", DB_LOCK_TIMEOUT),
        ("idle_in_transaction_session_timeout", DB_IDLE_IN_TRANSACTION_TIMEOUT),
    ]:
        if seconds < 0:
            raise ImproperlyConfigured(f"The database's {name} must be 0 (off) or more seconds.")
        options.append(f"-c {name}={round(seconds * 1000)}")
    return " ".join(options)


for _alias in DATABASES.values():
    if "postgresql" in _alias["ENGINE"]:
        _alias.setdefault("OPTIONS", {}).setdefault("options", postgres_options())

# SQLite keeps an index without the columns it carries beyond its key (PostgreSQL's
# INCLUDE: the partial index on national carries status, lifecycle and district); the
# index is still there, so Django's warning that they are left out is not shown.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# A PostgreSQL read replica for public pages (directory/routers.py); writes go to the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
    )
    # Tests use the primary's test database under both names.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("options", postgres_options())
    DATABASE_ROUTERS = ["directory.routers.PrimaryReplicaRouter"]
# Seconds the replica may lag behind the primary: a page or an export's row made within
# this time of a change may hold data from before it, so it is not kept for others
# (initiatives.caching.settled).
REPLICA_LAG_SECONDS = env_float("DJANGO_REPLICA_LAG_SECONDS", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes checks every sign-in before Django's own backend does.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Providers sign in by emailed link only (never staff): initiatives/providers/.
    "initiatives.providers.backends.ProviderLinkBackend",
]
# Five failed sign-ins for one username from one address lock that pair out for 15 minutes.
# Attempts are kept in the database (no cache server needed); a superuser can clear them
# in the admin ("Access attempts") or with `manage.py axes_reset_username USERNAME`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And a ceiling per account: this many failures from any addresses pause it everywhere,
# and alert the admins (directory/signin.py).
AXES_HANDLER = "directory.signin.AccountCeilingHandler"
AXES_ACCOUNT_FAILURE_LIMIT = env_int("DJANGO_AXES_ACCOUNT_FAILURE_LIMIT", 20)
# Who hears of it by email (comma-separated addresses); the log line is written anyway.
ADMINS = [("Admin", address) for address in env_list("DJANGO_ADMINS", [])]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False
# The client's address, for the lockout and the suggestion limit (directory/clientip.py).
AXES_CLIENT_IP_CALLABLE = "directory.clientip.client_address"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Production serves the hashed files collectstatic wrote (the Dockerfile runs it);
# tests and `make run` serve from static/ directly.
WHITENOISE_USE_FINDERS = env_bool("DJANGO_WHITENOISE_USE_FINDERS", DEBUG)
WHITENOISE_MANIFEST_STRICT = False

# Security. Defaults are the production ones whenever DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Probes over plain HTTP (load balancer, container) are answered, not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# No inline script or style anywhere, the admin included (tests/test_security.py checks).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF],
        "script-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# The map beside the results, on initiative and area pages (initiatives/maps.py): a tile
# server's Leaflet URL template, such as https://{s}.tiles.example.org/{z}/{x}/{y}.png,
# and the attribution its terms ask for. Empty: no map anywhere, the list alone. When set,
# its host joins img-src in the Content-Security-Policy (directory.middleware.CSPMiddleware).
MAP_TILES_URL = os.environ.get("DJANGO_MAP_TILES_URL", "").strip()
MAP_TILES_ATTRIBUTION = os.environ.get("DJANGO_MAP_TILES_ATTRIBUTION", "").strip()
tile_source(MAP_TILES_URL, allow_http=DEBUG)  # refuses a template the map cannot use
if MAP_TILES_URL and not MAP_TILES_ATTRIBUTION:
    raise ImproperlyConfigured(
        "DJANGO_MAP_TILES_URL is set without DJANGO_MAP_TILES_ATTRIBUTION: set it to the "
        "attribution the tile provider asks for, such as "
        '"\u00a9 OpenStreetMap contributors https://www.openstreetmap.org/copyright".'
    )
# Browser features the site never uses (directory.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = {
    "geolocation": [],
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy (load balancer) that sets X-Forwarded-Proto.
if env_bool("DJANGO_BEHIND_TLS_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies (load balancers) append to X-Forwarded-For in front of the app; 0 means
# the client connects directly and REMOTE_ADDR is its address (directory/clientip.py).
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(
        "DJANGO_TRUSTED_PROXY_COUNT must be 0 or more (the number of proxies in front of "
        f"the app), not {TRUSTED_PROXY_COUNT}."
    )
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 60 * 60 * 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# One JSON object per line on stdout, each with the request id (directory/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "directory.logging.JSONFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own handlers (plain-text console, mail_admins) off: its records go to root.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's own access lines would repeat the request log.
        "django.server": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}

# Error reports to Sentry only when a DSN is set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
configure_sentry(
    SENTRY_DSN,
    environment=os.environ.get("SENTRY_ENVIRONMENT", "").strip(),
    traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
)

# Records not checked for this many days are "review due".
REVIEW_DUE_DAYS = 365

# Suggestions from the public: at most this many per client address per hour.
SUGGESTIONS_PER_HOUR = 5

# Providers (initiatives/providers/): sign-in links by email (django-sesame), single use,
# 30 minutes; claims and links limited per hour.
SESAME_MAX_AGE = 30 * 60
SESAME_ONE_TIME = True
SESAME_TOKEN_NAME = "sesame"  # noqa: S105 - the link's parameter name, not a secret
PROVIDER_CLAIMS_PER_HOUR = 5
PROVIDER_CLAIMS_PER_EMAIL_PER_HOUR = 3
PROVIDER_LINKS_PER_HOUR = 3
# The links in a review reminder sign in once within this many days.
PROVIDER_REMINDER_LINK_DAYS = 7
# The site's address for links in emails sent outside a request (send_review_reminders).
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000").strip().rstrip("/")

# Email: printed to the console under DEBUG (`make run`), SMTP otherwise, from
# DJANGO_EMAIL_* (README "Email").
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "Community Health Directory <no-reply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
