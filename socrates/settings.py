"""Settings for the Socrates backend: one module, driven by the environment.

Every value can come from the process environment or from ``.env`` (made from
``.env.example``). The two databases come from ``DATABASE_URL_AUTH`` and
``DATABASE_URL_SPECS``; when those are unset, the private embedded PostgreSQL
under ``.data/`` is used (started by ``make db``, never by importing this).
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ

from socrates import embedded_postgres, embedded_redis
from socrates.databases import AUTH, SPECS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # First, so that its ``migrate`` wraps Django's own.
    "socrates",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Where tasks' retries and failures are recorded (auth database), for the admin.
    "django_celery_results",
    "accounts",
    "specs",
    "collaboration",
    "billing",
    "rag",
]

MIDDLEWARE = [
    # First, so that every response and log line carries the request id.
    "socrates.middleware.RequestIdMiddleware",
    # Outside the session's save, which is a write too.
    "socrates.middleware.ReplicaReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "socrates.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "socrates.urls"
CSRF_FAILURE_VIEW = "socrates.api.errors.csrf_failure"
WSGI_APPLICATION = "socrates.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# Databases ------------------------------------------------------------------

DATABASE_ENGINE = "socrates.db.backend"


# Whether each connection is a server session of its own. Prepared statements
# (socrates.db.prepared) and LISTEN (accounts.user_cache) need one; behind a
# pooler that shares sessions between clients (PgBouncer in transaction mode)
# set it false, which turns both off.
DATABASE_DEDICATED_SESSIONS = env.bool("DATABASE_DEDICATED_SESSIONS", default=True)


def _database(url_variable: str, name: str) -> dict:
    url = env.str(url_variable, default="")
    if url:
        config = env.db_url_config(url, engine=DATABASE_ENGINE)
        # libpq URLs percent-encode a Unix socket directory given as the host.
        config["HOST"] = unquote(config["HOST"])
    else:
        config = embedded_postgres.connection_settings(name)
    config.update(
        CONN_MAX_AGE=env.int("DATABASE_CONN_MAX_AGE", default=60),
        CONN_HEALTH_CHECKS=True,
        # Behind a pooler that shares sessions, a cursor kept open across
        # transactions (QuerySet.iterator()) would land on another's session.
        DISABLE_SERVER_SIDE_CURSORS=not DATABASE_DEDICATED_SESSIONS,
        # Fail fast when a server is down instead of hanging a request.
        OPTIONS={"connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5)},
        # No test database depends on the unused "default" one.
        TEST={"NAME": f"test_{config['NAME']}", "DEPENDENCIES": []},
    )
    return config


# A new session the server refused as unavailable (restarting, no free slot,
# refused) is tried once more after this wait (socrates.db.backend); 0 never.
DATABASE_CONNECT_RETRY_DELAY_MS = env.int("DATABASE_CONNECT_RETRY_DELAY_MS", default=500)

DATABASES = {
    # Django insists on a "default" entry. Left empty, it is the dummy backend,
    # which raises on any use: every model is routed to auth or specs.
    "default": {},
    AUTH: _database("DATABASE_URL_AUTH", "socrates_auth"),
    SPECS: _database("DATABASE_URL_SPECS", "socrates_specs"),
}


def _replicas(primary: str, urls_variable: str) -> dict[str, dict]:
    """Streaming replicas of a primary, each an alias whose TEST MIRROR names
    it (as Django's docs describe replicas): socrates.db.replicas routes reads."""
    aliases = {}
    for number, url in enumerate(env.list(urls_variable, default=[])):
        config = {**DATABASES[primary], **env.db_url_config(url, engine=DATABASE_ENGINE)}
        config["HOST"] = unquote(config["HOST"])
        config["TEST"] = {"MIRROR": primary}
        aliases[f"{primary}_replica_{number}"] = config
    return aliases


# Behind a transaction-mode pooler, the server itself, for the commands that
# need a session of their own (socrates.db.direct): advisory locks, SET.
DATABASE_DIRECT_SERVERS = {
    alias: {key: unquote(str(value)) for key, value in env.db_url_config(url).items()}
    for alias, url in (
        (AUTH, env.str("DATABASE_URL_AUTH_DIRECT", default="")),
        (SPECS, env.str("DATABASE_URL_SPECS_DIRECT", default="")),
    )
    if url
}

DATABASES |= _replicas(AUTH, "DATABASE_URL_AUTH_REPLICAS")
DATABASES |= _replicas(SPECS, "DATABASE_URL_SPECS_REPLICAS")
# A replica further behind than this is skipped until it catches up.
DATABASE_REPLICA_MAX_LAG_SECONDS = env.int("DATABASE_REPLICA_MAX_LAG_SECONDS", default=5)
DATABASE_ROUTERS = ["socrates.databases.DatabaseRouter"]

# Each migration waits this long for a lock, then rolls back and is tried again
# after a backoff starting at the delay, up to the retries
# (socrates.migration_locks): a DDL statement queued behind a long transaction
# would queue every request behind itself.
MIGRATION_LOCK_TIMEOUT_MS = env.int("MIGRATION_LOCK_TIMEOUT_MS", default=2000)
MIGRATION_LOCK_RETRIES = env.int("MIGRATION_LOCK_RETRIES", default=10)
MIGRATION_LOCK_RETRY_DELAY_MS = env.int("MIGRATION_LOCK_RETRY_DELAY_MS", default=500)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Authentication -------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.authentication.LoginBackend"]
# The browsable API's sign-in page (/api-auth/login/) leads to its root.
LOGIN_REDIRECT_URL = "/api/v1/"

# The bcrypt cost of the legacy backend's hashes (passlib's default is 12):
# every failed password check costs that much bcrypt work (accounts.hashers).
LEGACY_BCRYPT_ROUNDS = env.int("LEGACY_BCRYPT_ROUNDS", default=12)
# Rows per batch of a background migration (socrates.background_migrations):
# each batch commits on its own, and a stop loses at most one batch's work.
BACKGROUND_MIGRATION_BATCH_SIZE = env.int("BACKGROUND_MIGRATION_BATCH_SIZE", default=100)
PASSWORD_HASHERS = [
    # Django's Argon2, whose failures cost what a wrapped legacy hash's do.
    "accounts.hashers.Argon2PasswordHasher",
    # Legacy bcrypt hashes, wrapped at rest (accounts migration 0006).
    "accounts.hashers.Argon2WrappedBCryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env.int("ACCESS_TOKEN_LIFETIME_MINUTES", default=30)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=7)),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Rotation, revocation and reuse detection are ours (accounts.services),
    # recorded in the refresh_tokens table.
    "ROTATE_REFRESH_TOKENS": False,
    "UPDATE_LAST_LOGIN": False,
    # Access tokens carry a digest of the password hash, so a password changed
    # by any means ends them; sign-in generations (accounts.TokenGeneration)
    # end them on logout-all and suspension.
    "CHECK_REVOKE_TOKEN": True,
}
# A refresh token presented again this soon after its rotation gets the same
# successor (two tabs refreshing at once); later, it counts as reuse.
REFRESH_REUSE_INTERVAL_SECONDS = env.int("REFRESH_REUSE_INTERVAL_SECONDS", default=5)


# API ------------------------------------------------------------------------

NUM_PROXIES = env.int("NUM_PROXIES", default=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ActiveUserJWTAuthentication",
        "billing.authentication.APIKeyAuthentication",
        # For the browsable API after signing in to the admin.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "socrates.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "socrates.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "socrates.api.filters.FilterBackend",
        "socrates.api.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "socrates.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "socrates.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "socrates.api.exceptions.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "socrates.api.negotiation.ContentNegotiation",
    # How many reverse proxies stand in front of the app. 0 (the default)
    # ignores X-Forwarded-For, which any client can forge; with N proxies the
    # client is the Nth address from the right. Used for throttles and audit.
    "NUM_PROXIES": NUM_PROXIES,
    # Password guessing is slow: per client address, and per login name.
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN_RATE", default="10/min"),
        "login_name": env.str("THROTTLE_LOGIN_NAME_RATE", default="5/min"),
        "register": env.str("THROTTLE_REGISTER_RATE", default="10/hour"),
        "refresh": env.str("THROTTLE_REFRESH_RATE", default="30/min"),
        "password_check": env.str("THROTTLE_PASSWORD_CHECK_RATE", default="10/min"),
        "password_check_user": env.str("THROTTLE_PASSWORD_CHECK_USER_RATE", default="5/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Socrates API",
    "DESCRIPTION": "Turn an idea into a software specification through guided questions.",
    "VERSION": "1.0.0",
    "DEFAULT_GENERATOR_CLASS": "socrates.api.schema.CachedSchemaGenerator",
    # Swagger UI and Redoc from the project's own static files: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A text field that refuses "" says minLength 1 (the server's 400 and the
    # schema agree), in requests and responses alike: no row holds such a "".
    "ENFORCE_NON_BLANK_FIELDS": True,
    "GET_LIB_DOC_EXCLUDES": "socrates.api.schema.shared_doc_excludes",
    # The API reads JSON; the form parsers are there for the browsable API's
    # HTML forms, whose fields are all text (a null or a list has no form
    # spelling): the schema promises JSON bodies only.
    "PARSER_WHITELIST": ["socrates.api.parsers.SafeJSONParser"],
    # Several models have a "status" (or "role") with its own closed set.
    "ENUM_NAME_OVERRIDES": {
        "UserStatusEnum": "accounts.models.UserStatus",
        "UserRoleEnum": "accounts.models.UserRole",
        "TeamRoleEnum": "collaboration.models.TeamRole",
        "InvitationRoleEnum": "collaboration.models.InvitationRole",
        "InvitationStatusEnum": "collaboration.models.InvitationStatus",
        "SessionStatusEnum": "specs.models.SessionStatus",
        "SharePermissionEnum": "collaboration.models.SharePermission",
        "PermissionLevelEnum": "collaboration.models.PermissionLevel",
        # Question priorities and conflict severities share one scale.
        "UrgencyEnum": "specs.models.QuestionPriority",
        "ProjectStatusEnum": "specs.models.ProjectStatus",
        "SpecificationStatusEnum": "specs.models.SpecificationStatus",
        "SubscriptionStatusEnum": "billing.models.SubscriptionStatus",
        "InvoiceStatusEnum": "billing.models.InvoiceStatus",
        "LLMUsageStatusEnum": "billing.models.LLMUsageStatus",
        "APIKeyStatusEnum": "billing.models.APIKeyStatus",
    },
}


# Throttle counters (and the reuse interval's successors) live in the cache,
# which every server process must share: by default Django's database cache
# in auth, whose table the accounts migrations create. CACHE_URL overrides it,
# e.g. redis://127.0.0.1:6379/0 in production.
CACHE_TABLE = "django_cache"
CACHES = {
    "default": env.cache_url("CACHE_URL")
    if env.str("CACHE_URL", default="")
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        # Culling must not forget live throttle counters under a flood of
        # distinct keys (Django's default keeps only 300 entries).
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    }
}


# Logging --------------------------------------------------------------------

# Every 5xx with its traceback, every 4xx at INFO, each line with the request
# id; one JSON object per line with LOG_FORMAT=json. Secrets are scrubbed.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request": {"()": "socrates.logs.RequestContextFilter"},
        "scrub": {"()": "socrates.logs.SecretScrubbingFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[%(request_id)s %(method)s %(path)s] %(message)s",
        },
        "json": {
            "()": "socrates.logs.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s "
            "%(request_id)s %(method)s %(path)s %(message)s",
        },
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request", "scrub"],
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Django logs 4xx at WARNING; socrates.middleware logs them at INFO,
        # so django.request keeps only the 5xx with their tracebacks.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # A bad Host header is the client's error (a JSON 400), not the server's.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
    },
}


# Background work (Celery, socrates.celery) -----------------------------------

# The broker: Redis (redis://host:port/db) or RabbitMQ (amqp://user:password@host:port//).
# Unset, the private Redis under .data/redis/ (started by `make broker`).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or embedded_redis.url()
# Seconds to wait for the broker: connecting, and each answer of the /readyz check.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=5)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis only: a message taken by a worker that vanished (killed with its pool)
# is delivered again after this many seconds. It must exceed the longest task
# and retry countdown, or a task still running is delivered a second time.
# (A pool process killed alone, or RabbitMQ, redelivers at once.)
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        # Above the one-second blocking pop with which a worker waits for work.
        "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT + 5,
    }
    if CELERY_BROKER_URL.split("://", 1)[0] in ("redis", "rediss", "redis+socket")
    else {}
)
# The queue tasks go to and workers take them from: deployments (or
# checkouts) sharing one broker each need their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Every task: acknowledged once run, requeued if its process is killed.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: with late acknowledgement, a prefetched
# message would wait behind a long task.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Retries and failures (not successes) recorded in django_celery_results'
# table, for the admin; kept this many days (beat's daily celery.backend_cleanup).
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED = True
TASK_FAILURE_RETENTION_DAYS = env.int("TASK_FAILURE_RETENTION_DAYS", default=30)
CELERY_RESULT_EXPIRES = timedelta(days=TASK_FAILURE_RETENTION_DAYS)
# A task that raises is retried this many times; the n-th retry waits a random
# whole number of seconds up to the backoff times 2**(n-1), never above the maximum.
TASK_MAX_RETRIES = env.int("TASK_MAX_RETRIES", default=5)
TASK_RETRY_BACKOFF_SECONDS = env.int("TASK_RETRY_BACKOFF_SECONDS", default=2)
TASK_RETRY_BACKOFF_MAX_SECONDS = env.int("TASK_RETRY_BACKOFF_MAX_SECONDS", default=600)
CELERY_TIMEZONE = "UTC"
# The worker and beat log through LOGGING below (socrates.celery).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat drains user deletions this often, for any whose task was lost (the
# broker down at commit, a process stopped in between).
USER_DELETION_SWEEP_SECONDS = env.int("USER_DELETION_SWEEP_SECONDS", default=300)
# Ended invitations are deleted this many days after they ended (a daily task,
# and `manage.py purge_invitations`).
INVITATION_RETENTION_DAYS = env.int("INVITATION_RETENTION_DAYS", default=90)
# A worker runs a queued background migration this many seconds at a time,
# then queues the rest, so that other tasks are not held behind it.
BACKGROUND_MIGRATION_TASK_SECONDS = env.int("BACKGROUND_MIGRATION_TASK_SECONDS", default=240)
# Tests only: a directory where the first process to reach a pause point
# (socrates.pause) writes its pid and waits, to be killed there.
TEST_PAUSE_DIR = env.str("TEST_PAUSE_DIR", default="")


# Internationalisation, static files -----------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Served by WhiteNoise from the app itself: compressed, with hashed names
    # cached for ever. Needs `collectstatic`, so development reads the apps'
    # folders directly.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In development WhiteNoise reads the apps' folders on each request.
WHITENOISE_AUTOREFRESH = DEBUG


# Production: HTTPS ----------------------------------------------------------

# On by default when DEBUG is off (`manage.py check --deploy` is clean then);
# HTTPS=false serves plain HTTP, e.g. a test server on 127.0.0.1.
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
# A balancer probes its nodes over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind NUM_PROXIES trusted proxies, they tell whether the client used HTTPS.
if NUM_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
