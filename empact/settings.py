"""The one settings module, read from the environment.

Defaults suit a developer's machine (SQLite file under var/, a generated secret key,
DEBUG off unless asked for). Production sets DATABASE_URL, SECRET_KEY (or
SECRET_KEY_FILE) and ALLOWED_HOSTS. docs/settings.md lists every variable.
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use true or false")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r}: use a whole number >= {minimum}")
    return number


def env_secret(name: str) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker secrets)."""
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.getenv(name)


def local_secret_key(path: Path) -> str:
    """A random key kept beside the SQLite database, made on first use (mode 0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database_from_url(url: str) -> dict:
    """sqlite:///path or postgres://user:pass@host:port/name in Django's form."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:]) or ":memory:"
        if name != ":memory:" and not Path(name).is_absolute():
            name = str(BASE_DIR / name)
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue up
        # instead of failing half-way with "database is locked".
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r} is not a sqlite:///PATH or postgres://USER@HOST/NAME URL"
    )


DEBUG = env_bool("EMPACT_DEBUG", False)
DEMO_MODE = env_bool("EMPACT_DEMO", False)
# Under pytest the test settings apply even without EMPACT_TESTING in the environment,
# because pytest-django reads these settings before any conftest.py runs.
TESTING = env_bool("EMPACT_TESTING", "pytest" in sys.modules)

SECRET_KEY = env_secret("SECRET_KEY") or local_secret_key(
    BASE_DIR / "var" / "secret-key"
)
ALLOWED_HOSTS = [
    host.strip()
    for host in os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "empact.web",
    "empact.audit",
    "empact.organisations",
    "empact.plans",
    "empact.accounts",
    "empact.reporting",
    "empact.reports",
    "empact.analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "empact.web.middleware.RequestIdMiddleware",
    "empact.web.middleware.AuditFailureMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "empact.accounts.auth.middleware.SessionLifetimeMiddleware",
    "empact.accounts.auth.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "empact.accounts.auth.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "empact.urls"
WSGI_APPLICATION = "empact.wsgi.application"

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
                "empact.web.context.platform",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.getenv("DATABASE_URL", "sqlite:///var/empact.sqlite3")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "plans:home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out username and address before the
# password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "empact.accounts.backends.AdministratorBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:  # for speed: argon2 costs tens of milliseconds a login
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.getenv("EMPACT_STATIC_ROOT", BASE_DIR / "var" / "static"))
# The analysis store: one Parquet file of statements per dataset (analysis/store.py).
EMPACT_ANALYSIS_DIR = Path(
    os.getenv("EMPACT_ANALYSIS_DIR", BASE_DIR / "var" / "analysis")
)
# What DuckDB may hold in memory during one cross-match run; beyond it, it writes
# to a folder in the analysis store (analysis/store.py).
EMPACT_ANALYSIS_MEMORY_MB = env_int("EMPACT_ANALYSIS_MEMORY_MB", 3072, minimum=256)
# A cross-match run claimed by `empact worker` longer ago than this is taken back
# from a worker that stopped, and run again (analysis/runs.py).
EMPACT_WORKER_STALE_MINUTES = env_int("EMPACT_WORKER_STALE_MINUTES", 120, minimum=1)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Secure by default; `make run` serves plain HTTP on loopback in debug mode only.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("EMPACT_SSL_REDIRECT", not (DEBUG or TESTING))
SECURE_HSTS_SECONDS = 0 if DEBUG else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload is the site's decision
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it
if SESSION_COOKIE_SECURE and not TESTING:
    # __Host- cookies are sent only over HTTPS, to this exact host (ASVS 3.3.3).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Content-Security-Policy (django-csp 4): everything is served by the platform itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Sessions: one user's sessions can be ended at once (empact/accounts/auth/sessions.py);
# they end after inactivity and, in any case, some hours after signing in.
SESSION_ENGINE = "empact.accounts.auth.sessions"
EMPACT_SESSION_IDLE_MINUTES = env_int("EMPACT_SESSION_IDLE_MINUTES", 30, minimum=1)
EMPACT_SESSION_MAX_HOURS = env_int("EMPACT_SESSION_MAX_HOURS", 10, minimum=1)
SESSION_COOKIE_AGE = EMPACT_SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Second factor (django-otp): TOTP plus hashed recovery codes. Demo mode does not
# ask for it (see DEMO_MODE above).
OTP_TOTP_ISSUER = "empact"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a TOTP key

# Lock-out after failed sign-ins (django-axes), by username and address together.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked do not push the end of the lock further away, so the page
# can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "empact.accounts.auth.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "empact.accounts.auth.lockout.client_ip"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit log
# How many reverse proxies in front of empact append to X-Forwarded-For; 0 means
# the client connects directly and REMOTE_ADDR is its address.
EMPACT_PROXY_COUNT = env_int("EMPACT_PROXY_COUNT", 0)
EMPACT_SUPPORT_CONTACT = os.getenv("EMPACT_SUPPORT_CONTACT", "")

# Attainment status on the dashboards (empact/reporting/attainment.py): green when
# the accepted value reaches this percentage of what is expected by now, amber from
# the second percentage, red below it.
EMPACT_ATTAINMENT_GREEN_PERCENT = env_int("EMPACT_ATTAINMENT_GREEN_PERCENT", 100)
EMPACT_ATTAINMENT_AMBER_PERCENT = env_int("EMPACT_ATTAINMENT_AMBER_PERCENT", 75)
if EMPACT_ATTAINMENT_AMBER_PERCENT > EMPACT_ATTAINMENT_GREEN_PERCENT:
    raise ImproperlyConfigured(
        f"EMPACT_ATTAINMENT_AMBER_PERCENT={EMPACT_ATTAINMENT_AMBER_PERCENT} is above "
        f"EMPACT_ATTAINMENT_GREEN_PERCENT={EMPACT_ATTAINMENT_GREEN_PERCENT}; amber "
        "must start at or below green"
    )

# Limits on an uploaded reporting workbook (empact/reporting/xlsx/inspect.py), checked
# before openpyxl sees the file: a zip bomb or a huge sheet is refused, not parsed.
_MiB = 1024 * 1024
EMPACT_XLSX_MAX_BYTES = env_int("EMPACT_XLSX_MAX_BYTES", 5 * _MiB, minimum=1)
EMPACT_XLSX_MAX_MEMBERS = env_int("EMPACT_XLSX_MAX_MEMBERS", 200, minimum=1)
EMPACT_XLSX_MAX_UNPACKED_BYTES = env_int("EMPACT_XLSX_MAX_UNPACKED_BYTES", 50 * _MiB)
EMPACT_XLSX_MAX_RATIO = env_int("EMPACT_XLSX_MAX_RATIO", 100, minimum=1)
EMPACT_XLSX_MAX_ROWS = env_int("EMPACT_XLSX_MAX_ROWS", 1000, minimum=1)

# Reports: each PDF is laid out in a child process held to these (V-8).
EMPACT_PDF_SECONDS = env_int("EMPACT_PDF_SECONDS", 120, minimum=1)
EMPACT_PDF_MEMORY_MB = env_int("EMPACT_PDF_MEMORY_MB", 2048, minimum=64)
# Reports (empact/reports/markings.py): LIMITE is always available; the
# classification RESTREINT UE/EU RESTRICTED only once the operator records the
# platform's accreditation to hold EU classified information here (its reference).
EMPACT_EUCI_ACCREDITATION = os.getenv("EMPACT_EUCI_ACCREDITATION", "").strip()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": os.getenv("EMPACT_LOG_LEVEL", "WARNING"),
    },
}
