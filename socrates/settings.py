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

from socrates import embedded_postgres
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
    "accounts",
    "specs",
    "collaboration",
    "billing",
    "rag",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "socrates.urls"
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
        # Fail fast when a server is down instead of hanging a request.
        OPTIONS={"connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5)},
        # No test database depends on the unused "default" one.
        TEST={"NAME": f"test_{config['NAME']}", "DEPENDENCIES": []},
    )
    return config


DATABASES = {
    # Django insists on a "default" entry. Left empty, it is the dummy backend,
    # which raises on any use: every model is routed to auth or specs.
    "default": {},
    AUTH: _database("DATABASE_URL_AUTH", "socrates_auth"),
    SPECS: _database("DATABASE_URL_SPECS", "socrates_specs"),
}
DATABASE_ROUTERS = ["socrates.databases.DatabaseRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Authentication -------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.authentication.LoginBackend"]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
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
    # Access tokens carry a digest of the password hash: a password change
    # ends them at once instead of at expiry.
    "CHECK_REVOKE_TOKEN": True,
}


# API ------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ActiveUserJWTAuthentication",
        # For the browsable API after signing in to the admin.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "socrates.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "socrates.api.exceptions.exception_handler",
    # How many reverse proxies stand in front of the app. 0 (the default)
    # ignores X-Forwarded-For, which any client can forge; with N proxies the
    # client is the Nth address from the right. Used for throttles and audit.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    # Password guessing is slow: per client address, and per login name.
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN_RATE", default="10/min"),
        "login_name": env.str("THROTTLE_LOGIN_NAME_RATE", default="5/min"),
        "register": env.str("THROTTLE_REGISTER_RATE", default="10/hour"),
        "refresh": env.str("THROTTLE_REFRESH_RATE", default="30/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Socrates API",
    "DESCRIPTION": "Turn an idea into a software specification through guided questions.",
    "VERSION": "1.0.0",
}


# Throttle counters live in the cache. The default is per process; several
# server processes need a shared one, e.g. CACHE_URL=filecache:///var/tmp/socrates.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}


# Internationalisation, static files -----------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
