"""shegong settings. Configuration comes from environment variables only (see README)."""

import json
import os
import warnings
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_int_map(name: str, default: dict[str, int]) -> dict[str, int]:
    """A JSON object of whole numbers (``{"weekly": 5}``); keys it leaves out keep the default."""
    value = os.environ.get(name)
    if not value:
        return dict(default)
    return {**default, **{str(key): int(days) for key, days in json.loads(value).items()}}


DEBUG = env_bool("DEBUG", False)
# Demo mode: the seeded demo accounts may log in without TOTP and pages carry the 演示数据 mark.
DEMO_MODE = env_bool("SHEGONG_DEMO", DEBUG)
VAR_DIR = Path(env_str("SHEGONG_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "")
FIELD_KEY = env_str("SHEGONG_FIELD_KEY", "")
if not SECRET_KEY or not FIELD_KEY:
    if not (DEBUG or DEMO_MODE or env_bool("SHEGONG_TESTING")):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY and SHEGONG_FIELD_KEY must be set in production.")
    SECRET_KEY = SECRET_KEY or "insecure-dev-secret-key-do-not-use-in-production"
    FIELD_KEY = FIELD_KEY or "insecure-dev-field-key-do-not-use-in-production"

ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the OpenAPI docs assets locally (no CDN)
    "huey.contrib.djhuey",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "auditlog",
    "shegong.regions",
    "shegong.accounts",
    "shegong.people",
    "shegong.audit",
    "shegong.casework",
    "shegong.children",
    "shegong.elderly",
    "shegong.devices",
    "shegong.juvenile",
    "shegong.institutions",
    "shegong.community",
    "shegong.dashboard",
    "shegong.reports",
    "shegong.demo",
    "shegong.ops",
]

MIDDLEWARE = [
    # First: the request id, the access log and request metrics cover everything below.
    "shegong.ops.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shegong.accounts.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shegong.accounts.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shegong.urls"
WSGI_APPLICATION = "shegong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shegong" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shegong.accounts.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ by default; DATABASE_URL (postgres://…) in production.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
    ),
}
_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "shegong.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "shegong.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "shegong.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: the session lives 30 minutes past the last request.
SESSION_COOKIE_AGE = env_int("SHEGONG_IDLE_TIMEOUT", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE: see "Security" below (on in production).

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
# Lock the account, not the IP: a township office shares one NAT address.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

OTP_TOTP_ISSUER = "shegong"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "shegong" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Until `collectstatic` fills STATIC_ROOT, whitenoise serves through the finders; its warning
# about the missing directory says nothing useful then.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
MEDIA_ROOT = VAR_DIR / "media"

# Uploads (shegong/uploads.py, helper "input"): no upload is larger than SHEGONG_UPLOAD_MAX_BYTES
# (each kind may set less); a larger file is not even stored, and its form says why. A zip-based
# file (.xlsx, .docx) is opened only if its members add up to at most
# SHEGONG_UPLOAD_MAX_UNZIPPED_BYTES, whatever its headers claim: a zip bomb stops there.
SHEGONG_UPLOAD_MAX_BYTES = env_int("SHEGONG_UPLOAD_MAX_BYTES", 30 * 1024 * 1024)
SHEGONG_UPLOAD_MAX_UNZIPPED_BYTES = env_int("SHEGONG_UPLOAD_MAX_UNZIPPED_BYTES", 300 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields and JSON bodies: 400 past this
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # files past this are spooled to disk, not kept in memory
FILE_UPLOAD_HANDLERS = [
    "shegong.uploads.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Backups (shegong/ops): snapshots are encrypted with their own key, kept apart from SECRET_KEY and
# SHEGONG_FIELD_KEY, so that one leaked secret does not open a stolen snapshot. No built-in key in
# production: `backup` and `restore` refuse to run without one.
BACKUP_KEY = env_str("SHEGONG_BACKUP_KEY", "")
if not BACKUP_KEY and (DEBUG or DEMO_MODE or env_bool("SHEGONG_TESTING")):
    BACKUP_KEY = "insecure-dev-backup-key-do-not-use-in-production"
SHEGONG_BACKUP_DIR = Path(env_str("SHEGONG_BACKUP_DIR", str(VAR_DIR / "backups")))
SHEGONG_BACKUP_KEEP = env_int("SHEGONG_BACKUP_KEEP", 7)

# Huey: SQLite storage next to the database by default, Redis when REDIS_URL is set.
_redis_url = env_str("REDIS_URL")
_huey_immediate = env_bool("HUEY_IMMEDIATE", False)
if _redis_url:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "shegong",
        "url": _redis_url,
        "immediate": _huey_immediate,
        "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "shegong",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": _huey_immediate,
        "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
    }

# The dashboard's figures cache (aggregates only, never personal data), shared by the web
# processes and the worker that keeps it warm: Redis when REDIS_URL is set, else files under
# var/. Tests keep their own, per process.
if env_bool("SHEGONG_TESTING", False):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": env_str("SHEGONG_CACHE_PREFIX", "shegong"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "shegong.cache.FileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000, "CULL_INTERVAL": 60},
        }
    }

# ---- Security (issue 10): CSP, HTTPS and cookies in production, rate limits ------------------
# Production is DEBUG off outside the test suite: cookies only over HTTPS, HSTS, http → https.
# Each can be turned off by its variable (e.g. a demo server on plain http).
_production = not DEBUG and not env_bool("SHEGONG_TESTING")
# Behind nginx (the production layout, gunicorn on 127.0.0.1): the scheme comes from
# X-Forwarded-Proto and the client's address from the last X-Forwarded-For entry, both of which
# nginx must set (`proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-For
# $proxy_add_x_forwarded_for;`). Off when clients reach gunicorn directly: they could forge them.
SHEGONG_BEHIND_PROXY = env_bool("SHEGONG_BEHIND_PROXY", _production)
if SHEGONG_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _production)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SHEGONG_SSL_REDIRECT", _production)
# Load balancers and Prometheus probe these over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SHEGONG_HSTS_SECONDS", 365 * 24 * 3600 if _production else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SHEGONG_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SHEGONG_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): scripts only from our own static files — no inline
# script, no on*= handler, no eval (templates pass data with json_script or data-* attributes,
# static/js/shegong.js does print / confirm / submit-on-change). Inline styles stay allowed:
# templates size progress bars with style="width: N%" and ECharts' tooltips are styled HTML.
INSTALLED_APPS += ["csp", "django_ratelimit"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Rate limits (django-ratelimit; see shegong/ratelimits.py), "count/period" with period s, m, h
# or d. The counters need a cache with atomic increments: Redis when REDIS_URL is set (shared by
# every process); otherwise memory, counted per gunicorn worker — the files cache cannot count.
SHEGONG_RATE_LOGIN = env_str("SHEGONG_RATE_LOGIN", "30/m")  # login POSTs per address
SHEGONG_RATE_FAMILY = env_str("SHEGONG_RATE_FAMILY", "10/m")  # family look-ups per address
# Heartbeats per vendor and web process (a runaway guard; the issue's target is 1,500 events/s).
SHEGONG_RATE_DEVICE_EVENTS = env_str("SHEGONG_RATE_DEVICE_EVENTS", "120000/m")
RATELIMIT_USE_CACHE = "ratelimit"
# A counter that cannot be read lets the request through (see shegong/ratelimits.py).
RATELIMIT_FAIL_OPEN = True
if _redis_url and not env_bool("SHEGONG_TESTING"):
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _redis_url,
        "KEY_PREFIX": env_str("SHEGONG_CACHE_PREFIX", "shegong") + ":rl",
    }
    # django-ratelimit lists only django-redis; Django's own Redis cache increments atomically too.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_ratelimit.W001"]
else:
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit",
    }
    # Not shared between processes: with N gunicorn workers a client may get up to N times the
    # rate. Accepted for the one-machine setup; set REDIS_URL for exact limits.
    SILENCED_SYSTEM_CHECKS = [
        *SILENCED_SYSTEM_CHECKS,
        "django_ratelimit.E003",
        "django_ratelimit.W001",
    ]
# Asking browsers to preload HSTS is the domain owner's decision, hard to undo: opt in with
# SHEGONG_HSTS_PRELOAD.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
# ---- end of security ------------------------------------------------------------------------

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Logs go to stderr (journald keeps them), each record with its request or job id
# (shegong/ops/logs.py): JSON lines in production, text in development and tests.
SHEGONG_LOG_FORMAT = env_str(
    "SHEGONG_LOG_FORMAT", "text" if DEBUG or env_bool("SHEGONG_TESTING") else "json"
)
if SHEGONG_LOG_FORMAT not in {"json", "text"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SHEGONG_LOG_FORMAT must be 'json' or 'text'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "shegong.ops.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "shegong.ops.logs.JsonFormatter"},
        "text": {"()": "shegong.ops.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": SHEGONG_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The consumer adds a handler of its own to a "huey" logger that has none.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# Operations: Redis for /healthz, who may read /metrics (CIDRs, or the bearer token from
# anywhere), and how old the consumers' heartbeat may get before /healthz answers 503 (0: never).
REDIS_URL = _redis_url
SHEGONG_METRICS_ALLOW = [
    cidr.strip()
    for cidr in env_str("SHEGONG_METRICS_ALLOW", "127.0.0.1/32,::1/128").split(",")
    if cidr.strip()
]
SHEGONG_METRICS_TOKEN = env_str("SHEGONG_METRICS_TOKEN", "")
SHEGONG_HEARTBEAT_MAX_AGE = env_int("SHEGONG_HEARTBEAT_MAX_AGE", 180)

SHEGONG_PAGE_SIZE = 25
# Uploaded rosters and exported lists hold ID numbers: delete them after this long.
SHEGONG_IMPORT_FILE_DAYS = env_int("SHEGONG_IMPORT_FILE_DAYS", 30)
SHEGONG_EXPORT_FILE_HOURS = env_int("SHEGONG_EXPORT_FILE_HOURS", 24)
# PIPL retention: people who moved away (and, with SHEGONG_RETENTION_DECEASED, who died) are
# anonymised this many days after they left, unless an open case, juvenile matter or custody
# balance holds them. 5 years by default; districts whose archive rules keep files longer set more.
SHEGONG_RETENTION_DAYS = max(env_int("SHEGONG_RETENTION_DAYS", 1826), 1)
SHEGONG_RETENTION_DECEASED = env_bool("SHEGONG_RETENTION_DECEASED", True)
SHEGONG_DEMO_PASSWORD = env_str("SHEGONG_DEMO_PASSWORD", "shegong-demo")
# Elderly visits (探访关爱, issue 5): the longest gap between two visits for each visit tier, in
# days (JSON in the environment); high risk (an alarm, a discharge from hospital) lasts this long.
SHEGONG_ELDERLY_VISIT_DAYS = env_int_map(
    "SHEGONG_ELDERLY_VISIT_DAYS", {"weekly": 7, "monthly": 30, "quarterly": 90}
)
SHEGONG_ELDERLY_HIGH_RISK_DAYS = env_int("SHEGONG_ELDERLY_HIGH_RISK_DAYS", 30)

# Smart devices and alarms (issue 5). Acknowledgement windows per severity, in seconds: an alarm
# nobody acknowledges in time moves from the village station to the township, then the district.
SHEGONG_ALARM_ACK_SECONDS = {
    "critical": env_int("SHEGONG_ALARM_ACK_CRITICAL", 5 * 60),
    "high": env_int("SHEGONG_ALARM_ACK_HIGH", 15 * 60),
    "medium": env_int("SHEGONG_ALARM_ACK_MEDIUM", 2 * 60 * 60),
}
# A signed vendor request older (or newer) than this is refused as a possible replay.
SHEGONG_DEVICE_MAX_SKEW = env_int("SHEGONG_DEVICE_MAX_SKEW", 5 * 60)
# An "inactivity" event raises an alarm when nobody moved for at least this many hours.
SHEGONG_INACTIVITY_HOURS = env_int("SHEGONG_INACTIVITY_HOURS", 12)
# Failed notifications are tried again after 30 s, 1 min, 2 min, 4 min … this many times in all.
SHEGONG_NOTIFY_ATTEMPTS = env_int("SHEGONG_NOTIFY_ATTEMPTS", 6)
SHEGONG_NOTIFY_BACKOFF = env_int("SHEGONG_NOTIFY_BACKOFF", 30)
# The SMS gateway: a dotted path to a class with ``send(phone, text)``; the default only logs.
SHEGONG_SMS_BACKEND = env_str("SHEGONG_SMS_BACKEND", "shegong.devices.channels.LoggingSms")
# Links in notifications that leave the app (WeCom, SMS) start with this.
SHEGONG_BASE_URL = env_str("SHEGONG_BASE_URL", "http://127.0.0.1:8000")
# Group commit of heartbeats (one writer thread per web process, see devices/batch.py): on by
# default on PostgreSQL; off in tests, whose transactions another thread cannot see.
SHEGONG_EVENT_GROUP_COMMIT = env_bool(
    "SHEGONG_EVENT_GROUP_COMMIT",
    DATABASES["default"]["ENGINE"].endswith("postgresql") and not env_bool("SHEGONG_TESTING"),
)
# Paths served without the browser middleware (signed machine-to-machine requests only).
SHEGONG_LEAN_PATHS = ["/api/v1/devices/events"]
# How often the live alarm board refreshes itself, in seconds.
SHEGONG_ALARM_BOARD_REFRESH = env_int("SHEGONG_ALARM_BOARD_REFRESH", 10)

# Prepaid fees of elderly-care institutions (民发〔2024〕19号): national caps by default; a province
# sets tighter ones (Shanghai, Beijing: 3 months of service fees, deposit 4× the bed fee).
SHEGONG_CAP_PREPAID_MONTHS = env_int("SHEGONG_CAP_PREPAID_MONTHS", 12)
SHEGONG_CAP_DEPOSIT_MONTHS_OF_BED_FEE = env_int("SHEGONG_CAP_DEPOSIT_MONTHS_OF_BED_FEE", 12)
SHEGONG_MEMBERSHIP_FEES_ALLOWED = env_bool("SHEGONG_MEMBERSHIP_FEES_ALLOWED", False)
SHEGONG_CAP_MEMBERSHIP_FEE = env_int("SHEGONG_CAP_MEMBERSHIP_FEE", 0)
# Exports of lists to .xlsx: at most this many rows (narrow the filters beyond).
SHEGONG_EXPORT_MAX_ROWS = env_int("SHEGONG_EXPORT_MAX_ROWS", 100_000)
# Custody warnings: a single movement at or above this many yuan is "large"; a refund is due by
# the next working day after discharge; a closure is announced this many days ahead.
SHEGONG_CUSTODY_LARGE_AMOUNT = env_int("SHEGONG_CUSTODY_LARGE_AMOUNT", 50000)
SHEGONG_REFUND_WORKING_DAYS = env_int("SHEGONG_REFUND_WORKING_DAYS", 1)
SHEGONG_CLOSURE_NOTICE_DAYS = env_int("SHEGONG_CLOSURE_NOTICE_DAYS", 30)
# A bank statement line matches a ledger entry of the same amount within this many days.
SHEGONG_RECONCILE_DAYS = env_int("SHEGONG_RECONCILE_DAYS", 3)
