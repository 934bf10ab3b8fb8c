"""CityLab settings: one module, driven by validated environment variables.

Nothing set gives a development setup (debug on, SQLite file, console email, database cache).
A production deployment sets CITYLAB_DEBUG=false and must then give a secret key and hosts;
every variable is listed in README.md.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from citylab.env import Env, EnvError

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

DEBUG = env.bool("CITYLAB_DEBUG", default=True)

SECRET_KEY = env.str("CITYLAB_SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise EnvError("CITYLAB_SECRET_KEY: required when CITYLAB_DEBUG is false (use 50+ random characters)")
    # Development only: a key that is obviously not a secret, never used with debug off.
    SECRET_KEY = "django-insecure-citylab-development-key-never-use-in-production"  # nosec B105

ALLOWED_HOSTS = env.list(
    "CITYLAB_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise EnvError("CITYLAB_ALLOWED_HOSTS: required when CITYLAB_DEBUG is false (e.g. citylab.example.gov)")
CSRF_TRUSTED_ORIGINS = env.list("CITYLAB_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "citylab",
    "surveys",
    "pilots",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "citylab.middleware.RequireMFAMiddleware",
    "citylab.ratelimit.RateLimitMiddleware",
]

if not DEBUG:
    # In production gunicorn serves our static files itself (compressed, cached for ever);
    # in development runserver does.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "citylab.urls"
WSGI_APPLICATION = "citylab.wsgi.application"
ASGI_APPLICATION = "citylab.asgi.application"

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
                "citylab.context_processors.citylab",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_database_url = env.url("DATABASE_URL", schemes={"sqlite", "postgres", "postgresql", "pgsql"})
if _database_url is None:
    _database_url = f"sqlite:///{BASE_DIR / 'citylab.sqlite3'}"
try:
    _database = dj_database_url.parse(
        _database_url,
        conn_max_age=env.int("CITYLAB_DB_CONN_MAX_AGE", default=60, minimum=0),
        conn_health_checks=True,
    )
except ValueError as error:
    raise EnvError(f"DATABASE_URL: {error}") from None
if _database["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, with a health check that asks the server only when its socket has
    # something to say (see citylab/postgresql/base.py).
    _database["ENGINE"] = "citylab.postgresql"
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write to the same file: WAL lets readers go on while
    # one writes, IMMEDIATE transactions and a busy timeout make writers queue, not fail.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too, not shared-cache memory, so that concurrent writers wait for
    # each other as they do in production instead of failing with "table is locked".
    # One file per test run (process), so that two runs on one machine never share it.
    _database["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"citylab-test-{os.getpid()}.sqlite3")}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Rate limits and sessions must hold across every web process, so the default cache is the
# database (its table is created by a migration), and Redis when REDIS_URL is given.
_redis_url = env.url("REDIS_URL", schemes={"redis", "rediss", "unix"})
if _redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}}
else:
    CACHES = {
        "default": {
            # Django's, with an atomic incr for rate-limit counts (citylab/cache.py).
            "BACKEND": "citylab.cache.DatabaseCache",
            "LOCATION": "citylab_cache",
            # Past MAX_ENTRIES the table drops a third of its rows, live counts included:
            # room for a count per address of a busy day, dashboards' figures and allauth's.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

# --- Tasks ----------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "citylab.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "staff_home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "citylab.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CityLab] "
# allauth's limits, spelled out (and merged over its defaults). Per address ("ip", which the
# adapter takes from citylab.ratelimit.client_address) they are loose, since a city office or
# community centre shares one; per account ("key", the email) they are tight, since guessing
# one person's password is the attack: 5 failures in 5 minutes, then wait. (bandit takes the
# "password" keys for passwords: they are rates.)
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",  # nosec B105
    "reset_password_from_key": "20/m/ip",  # nosec B105
}
MFA_ADAPTER = "citylab.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CityLab"

# --- Email ----------------------------------------------------------------------------------
# Django hands mail to the task queue; the worker delivers it with this backend.
EMAIL_BACKEND = "citylab.mail.TaskEmailBackend"
CITYLAB_EMAIL_DELIVERY_BACKEND = env.choice(
    "CITYLAB_EMAIL_BACKEND",
    default="console",
    choices={
        "console": "django.core.mail.backends.console.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
    },
)
EMAIL_HOST = env.str("CITYLAB_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("CITYLAB_EMAIL_PORT", default=587, minimum=1)
EMAIL_HOST_USER = env.str("CITYLAB_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("CITYLAB_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("CITYLAB_EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str("CITYLAB_DEFAULT_FROM_EMAIL", default="CityLab <citylab@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Personal data --------------------------------------------------------------------------
# Experience officers' names and contact details are erased after this many days without any
# activity (pilots.retention, run daily by `erase_inactive_officers`). Two years by default.
CITYLAB_OFFICER_RETENTION_DAYS = env.int("CITYLAB_OFFICER_RETENTION_DAYS", default=730, minimum=30)

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = env.str("CITYLAB_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
# plotly.js is served from the plotly package itself (static/plotly/plotly.min.js): no CDN, no copy.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("plotly", Path(importlib.util.find_spec("plotly").origin).parent / "package_data"),
]
STATIC_ROOT = env.path("CITYLAB_STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("CITYLAB_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Forms ----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = ("citylab_forms",)  # our own markup: templates/citylab_forms/
CRISPY_TEMPLATE_PACK = "citylab_forms"

# --- Security -------------------------------------------------------------------------------
# In production nginx stands in front (deploy/nginx.conf) and tells the scheme and the
# client's address in its headers; runserver or a bare gunicorn must not believe them.
CITYLAB_BEHIND_PROXY = env.bool("CITYLAB_BEHIND_PROXY", default=not DEBUG)
# Proxies in front of nginx (a load balancer): their entries in X-Forwarded-For are skipped.
CITYLAB_TRUSTED_PROXIES = env.networks("CITYLAB_TRUSTED_PROXIES", default=[])
# No inline script or style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("CITYLAB_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("CITYLAB_HSTS_SECONDS", default=31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("CITYLAB_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("CITYLAB_HSTS_PRELOAD", default=True)
    if CITYLAB_BEHIND_PROXY:
        # nginx terminates TLS and says so in this header (see deploy/nginx.conf).
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env.choice(
            "CITYLAB_LOG_LEVEL", default="info",
            choices={name.lower(): name for name in ["DEBUG", "INFO", "WARNING", "ERROR"]},
        ),
    },
}

# --- Rate limits on public pages that write (citylab/ratelimit.py) --------------------------
# Counted per client address and fixed window. A resident answers one question every few
# seconds: the 15 questions of a long survey and its submission are about 16 POSTs over one to
# three minutes, 30 a minute at the very fastest. One address may be a whole community centre,
# a school or a mobile carrier's NAT with ten or more residents answering at once, so the
# survey limit is 300 a minute (ten fast residents, or twenty at a normal pace); a script
# posting as fast as it can is held to that, five a second, and the rest of the minute is 429.
# An officer sign-up is one POST per person (two or three if the form comes back with an
# error); a volunteer helps one person every few minutes: 60 per ten minutes leaves room for
# a busy sign-up table and stops a script from filling the panel's queue with fakes.
# 0 switches a limit off (e.g. for a load test whose clients all come from one address).
CITYLAB_RATE_LIMITS = {
    "survey": {
        "limit": env.int("CITYLAB_RATE_LIMIT_SURVEY", default=300, minimum=0),
        "window": env.int("CITYLAB_RATE_LIMIT_SURVEY_WINDOW", default=60, minimum=1),
        # URL name: methods counted. Reading a page (GET) never is, except the invitation
        # link, which writes a new answer sheet on every visit without a cookie.
        "views": {"surveys:question": ["POST"], "surveys:check": ["POST"], "surveys:invitation": ["GET"]},
    },
    "signup": {
        "limit": env.int("CITYLAB_RATE_LIMIT_SIGNUP", default=60, minimum=0),
        "window": env.int("CITYLAB_RATE_LIMIT_SIGNUP_WINDOW", default=600, minimum=1),
        "views": {"pilots:officer_signup": ["POST"]},
    },
}

# --- CityLab --------------------------------------------------------------------------------
CITYLAB_NAME = _("CityLab")
