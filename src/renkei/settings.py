"""Settings come from environment variables (12-factor); every default suits the embedded mode."""

from pathlib import Path

import dj_database_url

from renkei.envconfig import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("RENKEI_VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("RENKEI_DEBUG", False)


def _secret_key() -> str:
    """Use RENKEI_SECRET_KEY, else keep a generated key in var/ so sessions survive restarts."""
    configured = env_str("RENKEI_SECRET_KEY", "")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("RENKEI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("RENKEI_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "renkei.accounts",
    "renkei.sharing",
    "renkei.communities",
    "renkei.jobs",
    "renkei.notifications",
    "renkei.incidents",
    "renkei.situation",
    "renkei.intel",
    "renkei.feeds",
    "renkei.risk",
    "renkei.evaluations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "renkei.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "renkei.accounts.middleware.UserPreferencesMiddleware",
    "renkei.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "renkei.urls"
WSGI_APPLICATION = "renkei.wsgi.application"

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
                "renkei.notifications.context.notifications",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'renkei.sqlite3'}"),
        conn_max_age=env_int("RENKEI_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
        # on a lock upgrade; WAL lets readers carry on while one writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs more than it saves on the short queries pages make (bench/README.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["renkei.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "communities:home"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("REDIS_URL", ""),
    }
    if env_str("REDIS_URL", "")
    else {
        # Shared by every server process, so login throttling holds across gunicorn workers.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "renkei_cache",
    }
}

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
# The project's own static files: `renkei` itself is not an installed app, so name the folder.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Served from the package itself, so `renkei serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
# Attachments live under var/, never under STATIC_ROOT: they are only served by a view that
# checks the visibility rule and forces a download.
MEDIA_ROOT = VAR_DIR / "media"
ATTACHMENT_MAX_BYTES = env_int("RENKEI_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
ATTACHMENTS_PER_POST = env_int("RENKEI_ATTACHMENTS_PER_POST", 10)
# Feeds in (renkei/feeds): the largest file, feed event or fetched document taken (refused
# before it is read whole), and up to which size an import runs at once instead of as a job.
FEEDS_IMPORT_MAX_BYTES = env_int("RENKEI_FEEDS_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
FEEDS_INLINE_MAX_BYTES = env_int("RENKEI_FEEDS_INLINE_MAX_BYTES", 512 * 1024)
FEEDS_FETCH_TIMEOUT = env_int("RENKEI_FEEDS_FETCH_TIMEOUT", 30)
# Blocklists and curated collections (renkei/intel/curation.py) refuse networks broader than
# these prefixes, and these domains (with the platform's own, from BASE_URL and ALLOWED_HOSTS).
BLOCKLIST_MIN_PREFIX_V4 = env_int("RENKEI_BLOCKLIST_MIN_PREFIX_V4", 16)
BLOCKLIST_MIN_PREFIX_V6 = env_int("RENKEI_BLOCKLIST_MIN_PREFIX_V6", 32)
BLOCKLIST_PROTECTED_DOMAINS = env_list("RENKEI_BLOCKLIST_PROTECTED_DOMAINS", [])
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("RENKEI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGIN_FAILURE_LIMIT = env_int("RENKEI_LOGIN_FAILURE_LIMIT", 5)
# How many reverse proxies in front of renkei append to X-Forwarded-For (0: none, use the peer).
TRUSTED_PROXY_HOPS = env_int("RENKEI_TRUSTED_PROXY_HOPS", 0)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("RENKEI_LOGIN_FAILURE_WINDOW", 900)
TOTP_ISSUER = env_str("RENKEI_TOTP_ISSUER", "renkei")
API_TOKEN_DEFAULT_DAYS = env_int("RENKEI_API_TOKEN_DAYS", 365)

# Background jobs (renkei/jobs): how long a running job may go silent before another worker
# takes it over, the first retry delay (doubling each time), and the idle poll.
JOB_LEASE_SECONDS = env_int("RENKEI_JOB_LEASE_SECONDS", 600)
JOB_RETRY_BASE_SECONDS = env_int("RENKEI_JOB_RETRY_SECONDS", 30)
JOB_POLL_SECONDS = env_int("RENKEI_JOB_POLL_SECONDS", 2)
JOB_KEEP_DAYS = env_int("RENKEI_JOB_KEEP_DAYS", 30)

# Mail: EMAIL_URL (smtp://user:pass@host:587?tls=1, smtps://…, console://); unset, mail is
# written to files in var/mail/ so nothing is lost and an operator can read it.
from renkei.notifications.mailconfig import email_settings  # noqa: E402

_email = email_settings(env_str("EMAIL_URL", ""), VAR_DIR / "mail")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", "")
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("RENKEI_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "renkei <renkei@localhost>")
# Links in mail point here.
BASE_URL = env_str("RENKEI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Daily digests go out at this hour, Asia/Tokyo.
DIGEST_HOUR = env_int("RENKEI_DIGEST_HOUR", 8)
# Situation (renkei/situation), Asia/Tokyo: AM/PM reports to the security coordination centre at
# these times, the daily bulletin at this time ("" for none) into these broadcast communities
# (names; none given: all) signed by this centre person (e-mail; none: the centre's first admin).
SITUATION_SCHEDULE = env_bool("RENKEI_SITUATION_SCHEDULE", True)
SITUATION_ESCALATION_TIMES = env_list("RENKEI_ESCALATION_TIMES", ["09:00", "15:00"])
SITUATION_BULLETIN_TIME = env_str("RENKEI_BULLETIN_TIME", "18:00")
SITUATION_BULLETIN_COMMUNITIES = env_list("RENKEI_BULLETIN_COMMUNITIES", [])
SITUATION_BULLETIN_AUTHOR = env_str("RENKEI_BULLETIN_AUTHOR", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("RENKEI_LOG_LEVEL", "WARNING")},
}
