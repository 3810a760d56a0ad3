"""Settings: every value comes from the environment (see DESIGN.md, Configuration).

Nothing set gives the embedded default (SQLite, in-memory channel layer, local-memory cache, eager
Celery, files under media/). `DATABASE_URL`, `REDIS_URL` and the storage variables switch to the
production services; production differs from development only by environment.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from labelplatform.env import env_bool, env_duration, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -----------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", True)
_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "labelplatform.urls"
WSGI_APPLICATION = "labelplatform.wsgi.application"
ASGI_APPLICATION = "labelplatform.asgi.application"
HOST = env_str("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000)

INSTALLED_APPS = [
    "labelplatform.admin_site.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "labelplatform",
    "accounts",
    "videos",
    "datasets",
    "tasks",
    "alerts",
    "verification",
]

MIDDLEWARE = [
    "labelplatform.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "accounts.middleware.SessionIdHeaderMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # 0 by default: under ASGI each sync view runs in a thread pool, and persistent connections leak one
    # database connection per thread (docs/benchmarks.md).
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0), conn_health_checks=True)
    if _db["ENGINE"] == "django.db.backends.mysql":
        _db["OPTIONS"] = {
            "charset": "utf8mb4",
            "isolation_level": "read committed",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        }
        _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

# --- Redis: channel layer, cache, Celery ----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels-redis blocks 5 s per read; redis-py's default 5 s socket timeout would cut idle
            # consumers off, so the socket waits longer than the read.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}], "capacity": 1500, "expiry": 30},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "lp"}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),
            "region_name": env_str("AWS_S3_REGION_NAME"),
            "access_key": env_str("AWS_ACCESS_KEY_ID"),
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY"),
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN"),
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Identity -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PlatformBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
SESSION_COOKIE_SAMESITE = "Lax"

ACCESS_TOKEN_LIFETIME = env_duration("ACCESS_TOKEN_LIFETIME", timedelta(minutes=5))
REFRESH_TOKEN_LIFETIME = env_duration("REFRESH_TOKEN_LIFETIME", timedelta(days=1))
USER_TOKEN_LIFETIME = env_duration("USER_TOKEN_LIFETIME", timedelta(days=7))
DEVICE_TOKEN_LIFETIME = env_duration("DEVICE_TOKEN_LIFETIME", timedelta(days=365))
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": REFRESH_TOKEN_LIFETIME,
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "USER_AUTHENTICATION_RULE": "accounts.backends.user_may_authenticate",
    # Tokens carry a digest of the password hash: a new password signs out every existing token.
    "CHECK_REVOKE_TOKEN": True,
}

GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
LABELER_LOGIN_RATE = env_str("LABELER_LOGIN_RATE", "30/min")
LOGIN_RATE = env_str("LOGIN_RATE", "10/min")
REGISTRATION_RATE = env_str("REGISTRATION_RATE", "30/hour")

ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APPS": (
            [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET or "", "key": ""}]
            if GOOGLE_CLIENT_ID
            else []
        ),
        "SCOPE": ["openid", "profile", "email"],
    }
}

# --- REST -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.PlatformTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "labelplatform.parsers.JSONParser",
        "labelplatform.parsers.FormParser",
        "labelplatform.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "labelplatform.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "labelplatform.pagination.PlatformPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Client IPs come from REMOTE_ADDR unless NUM_PROXIES trusted proxies add X-Forwarded-For.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Label platform API",
    "DESCRIPTION": "Crowd video labeling, expert Q&A annotation, team-labeling review, truck alerts and "
    "rendition verification. Seed endpoints keep their documented shapes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["labelplatform.routes.drop_alias_endpoints"],
}

# Largest request body an API view reads unless it sets `max_body_bytes` (uploads raise theirs).
API_MAX_BODY_BYTES = 1024 * 1024

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = DEBUG and not CORS_ALLOWED_ORIGINS
CORS_URLS_REGEX = r"^/(api|v2)/.*$"

# --- Security (check --deploy clean when DEBUG is false) ------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "labelplatform@localhost")

# --- Videos (seed 000; specs/videos.md) ------------------------------------------------------------
# Prefix of clip URLs in API answers (`url_root`); unset: MEDIA_URL + "videos/180/", made absolute (videos.md §6.5).
VIDEO_URL_ROOT = env_str("VIDEO_URL_ROOT", None) or None
# The cameras' local zone: the day a `mark_bad_videos` reference names starts at midnight here (§7.2).
VIDEO_LOCAL_TIME_ZONE = env_str("VIDEO_LOCAL_TIME_ZONE", "America/New_York")
# Where `backup_data` writes (project-wide, §7.4); unset: `--output-dir` is required and no daily backup runs.
BACKUP_DIR = env_str("BACKUP_DIR", None) or None

# --- Q&A datasets and tasks (seeds 002, 004; specs/qa-tasks.md) --------------------------------------
# Most rows one upload may hold (`/dataset/upload`, admin upload, `import_dataset`; qa-tasks.md §4.1).
QA_UPLOAD_MAX_ITEMS = env_int("QA_UPLOAD_MAX_ITEMS", 100_000)
# Largest `/dataset/upload` request body in bytes (413 上传数据过大 above it).
QA_UPLOAD_MAX_BYTES = env_int("QA_UPLOAD_MAX_BYTES", 100 * 1024 * 1024)

# --- Truck alerts (seed 001; specs/alerts.md) --------------------------------------------------------
# Zone of seed 001 dates sent without an offset, and of the dates it returns (alerts.md §4.1).
ALERTS_TIME_ZONE = env_str("ALERTS_TIME_ZONE", TIME_ZONE)
# Largest decoded frame; frame request bodies may be 4/3 of it + 64 KiB (base64 and JSON around it).
FRAME_MAX_BYTES = env_int("FRAME_MAX_BYTES", 5 * 1024 * 1024)
# Throttle of POST/PUT /api/v1/jetson/register/ per client IP.
DEVICE_REGISTRATION_RATE = env_str("DEVICE_REGISTRATION_RATE", "60/min")
# Seconds a websocket (/ws/alert/, /ws/device/) may stay open without authenticating.
ALERTS_WS_AUTH_TIMEOUT = env_int("ALERTS_WS_AUTH_TIMEOUT", 10)
# Days frames and safe frames are kept; when set, a daily beat job purges older ones (alerts.md §7).
FRAME_RETENTION_DAYS = max(env_int("FRAME_RETENTION_DAYS", 0), 0) or None
# Lifetime of the user token the monitor page issues to its signed-in watcher (renewed by the page).
ALERTS_MONITOR_TOKEN_LIFETIME = env_duration("ALERTS_MONITOR_TOKEN_LIFETIME", timedelta(minutes=15))

# --- Verification (seed 003; specs/verification.md) --------------------------------------------------
# The only folder /verify path URIs resolve in (relative paths are taken from it; `..` never leaves it).
VERIFY_MEDIA_ROOT = Path(env_str("VERIFY_MEDIA_ROOT", str(MEDIA_ROOT / "verification")))
# Hosts /verify may download http(s) renditions from; empty: remote URIs are refused (400).
VERIFY_ALLOWED_URL_HOSTS = [host.lower() for host in env_list("VERIFY_ALLOWED_URL_HOSTS")]
# Largest uploaded or downloaded file, in bytes; seconds one download may take.
VERIFY_MAX_FILE_BYTES = env_int("VERIFY_MAX_FILE_BYTES", 500 * 1024 * 1024)
VERIFY_FETCH_TIMEOUT = env_int("VERIFY_FETCH_TIMEOUT", 30)
# Seconds a synchronous POST /verify waits for its job before answering 202 with the job id.
VERIFY_SYNC_TIMEOUT = env_int("VERIFY_SYNC_TIMEOUT", 120)
# Throttles of POST /verify: per client IP for anonymous callers, per user with a platform token.
VERIFY_ANON_RATE = env_str("VERIFY_ANON_RATE", "30/min")
VERIFY_USER_RATE = env_str("VERIFY_USER_RATE", "300/min")
# Most renditions one request may carry.
VERIFY_MAX_RENDITIONS = env_int("VERIFY_MAX_RENDITIONS", 10)
# Seconds before Redis hands an unacknowledged job (its worker was killed) to another worker. Verification
# jobs are acknowledged only when done (acks_late), so this must exceed their hard time limit (300 s).
VERIFY_REDELIVERY_TIMEOUT = env_int("VERIFY_REDELIVERY_TIMEOUT", 600)
# The verifier model artifact to load; unset: the committed one (verification/model/, `train_verifier`).
VERIFY_MODEL_DIR = env_str("VERIFY_MODEL_DIR")
# Verification jobs run on their own queue: `celery -A labelplatform worker -Q verification`.
CELERY_TASK_ROUTES = {"verification.tasks.*": {"queue": "verification"}}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": max(VERIFY_REDELIVERY_TIMEOUT, 1),
    "unacked_restore_interval": min(10, max(VERIFY_REDELIVERY_TIMEOUT // 2, 1)),
    "unacked_restore_throttle": 1,
}

# --- Logging: query strings carry tokens and passwords, so they never reach a log -----------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"strip_query": {"()": "labelplatform.logging.StripQueryStringFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["strip_query"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "filters": ["strip_query"], "propagate": False},
        # uvicorn logs websocket URLs (with `?token=`) on "uvicorn.error"; our middleware logs HTTP access.
        "uvicorn": {"handlers": ["console"], "filters": ["strip_query"], "propagate": False},
        "uvicorn.error": {"handlers": ["console"], "filters": ["strip_query"], "propagate": False},
        "uvicorn.access": {"handlers": ["console"], "filters": ["strip_query"], "level": "WARNING", "propagate": False},
    },
}

# Static files are found through the finders until `collectstatic` fills STATIC_ROOT (production).
warnings.filterwarnings("ignore", message="No directory at")
# whitenoise streams files with a synchronous iterator; under ASGI Django warns on every static file.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")
