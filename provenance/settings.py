"""Provenance settings: one module, configured by environment variables only.

With nothing set it runs for local use: DEBUG on, SQLite, media on local disk, Celery
tasks run eagerly. Set DATABASE_URL for PostgreSQL and CELERY_BROKER_URL for a worker.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), not {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)
TESTING = env_bool("PROVENANCE_TESTING", False)
# The bespoke per-request identity read (provenance/accounts/identity.py says why, with
# the load figures): the session, user, teams and audit heads in one prepared
# statement. Off, Django's own session store, AuthenticationMiddleware, ModelBackend
# and PostgreSQL backend. Flipping it signs everyone out (another session table).
FAST_IDENTITY = env_bool("FAST_IDENTITY", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-only-key-not-for-production-use"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "provenance.admin_site.AdminConfig",  # django.contrib.admin, team-scoped
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Search's lookups (trigram similarity, unaccent); harmless on SQLite.
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    # Second factor (provenance/accounts/second_factor.py): TOTP, recovery codes
    # (static tokens) and WebAuthn keys/passkeys as django-otp devices.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "provenance",
    "evidence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The replay origin answers /replay/ only (evidence/captures/replay.py).
    "evidence.captures.middleware.ReplayOriginMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "provenance.middleware.RejectNulMiddleware",
    "provenance.middleware.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    (
        "provenance.accounts.identity.TeamAuthenticationMiddleware"
        if FAST_IDENTITY
        else "django.contrib.auth.middleware.AuthenticationMiddleware"
    ),
    # request.user.is_verified(); then the gate that sends a signed-in user who owes
    # a second factor to the second-factor step (or to enrolment) before anything.
    "django_otp.middleware.OTPMiddleware",
    "provenance.middleware.TeamMiddleware",
    "provenance.accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it turns a locked-out login into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "provenance.urls"
WSGI_APPLICATION = "provenance.wsgi.application"

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
                "csp.context_processors.nonce",
                "provenance.context_processors.team",
            ],
        },
    },
]

# Empty error lists and labels drawn without templates (provenance/common/widgets.py).
FORM_RENDERER = "provenance.common.widgets.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: WAL lets pages read while a background import writes,
    # and writers wait for each other instead of failing at once. IMMEDIATE: a
    # transaction takes the write lock when it begins, so one that reads and then
    # writes waits for the lock (the timeout) instead of failing with "database is
    # locked" when another writer got there first (SQLite cannot upgrade a reader
    # while a writer holds the lock: seen in load_demo once processing notified).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL;",
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if FAST_IDENTITY:
        # Django's backend with the identity read prepared and a socket health check
        # (off: Django's own, with its SELECT 1 health check).
        DATABASES["default"]["ENGINE"] = "provenance.postgresql"
    # Short OLTP queries: PostgreSQL's JIT only adds compile time (seen: 650 ms on a
    # 1 ms query when statistics were stale).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Server-side binding (Django's psycopg 3 option): a statement the connection
    # has run 5 times is prepared on its next run, so PostgreSQL stops planning it
    # again; planning the claim page's joins cost more than running them (0.7 ms
    # vs 0.3 ms for the evidence links; bench/claim_page.py). With our backend
    # only: its client_cursor keeps the search planner's statements unprepared.
    # Behind a pooler that cannot keep prepared statements (PgBouncer before 1.21
    # in transaction mode), set DB_SERVER_SIDE_BINDING=false.
    if FAST_IDENTITY and env_bool("DB_SERVER_SIDE_BINDING", True):
        # (provenance.postgresql sets psycopg's prepare_threshold.)
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Page cache (see provenance/caching.py). Default: per-process memory. Several web
# processes share one with CACHE_URL=redis://...; CACHE_URL=dummy:// turns it off.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
elif CACHE_URL == "dummy://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
elif CACHE_URL:
    raise ImproperlyConfigured(
        "CACHE_URL must be redis://..., rediss://... or dummy://"
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# PAGE_CACHE=false draws every page (a member's pages, a publisher's API lists) and
# keeps the cache for the rest (sessions, throttles, map tracks): how bench/load.py
# measures the pages themselves.
PAGE_CACHE = env_bool("PAGE_CACHE", True)
# API throttle counters must be shared by every web process: in Redis when the cache
# is Redis, else in the database (provenance.publishing.api.throttling).
API_THROTTLE_STORE = (
    "cache" if CACHE_URL.startswith(("redis://", "rediss://")) else "database"
)

_VALIDATORS_MODULE = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS_MODULE}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS_MODULE}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS_MODULE}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS_MODULE}.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Axes first, so throttled logins never reach the password check.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend; with FAST_IDENTITY a session's user arrives with their teams.
    (
        "provenance.accounts.identity.TeamModelBackend"
        if FAST_IDENTITY
        else "django.contrib.auth.backends.ModelBackend"
    ),
]
if FAST_IDENTITY:
    # Database sessions in WebSession rows that name their user.
    SESSION_ENGINE = "provenance.accounts.identity"
elif CACHE_URL.startswith(("redis://", "rediss://")):
    # Read through the cache only when every web process shares it: a per-process
    # memory cache would keep serving a session another process has since ended.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Flash messages live in the session, which every signed-in request loads anyway;
# the default cookie store builds a signer on every request, even with no message.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# The account page lists each session's browser; its IP address only when this is on
# (REMOTE_ADDR, which behind a proxy is the proxy's).
ACCOUNT_SESSION_IPS = env_bool("ACCOUNT_SESSION_IPS", False)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "provenance:claim-list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling per username + IP, with a cool-off so nobody is locked out for good.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Second factor. Required (when on) of editors, admins, staff and the members of a
# team that asks for it; a fresh one (step-up, within the window) before publish,
# retract, lifting a restriction and managing publishers or their keys.
SECOND_FACTOR_REQUIRED = env_bool("SECOND_FACTOR_REQUIRED", True)
SECOND_FACTOR_STEP_UP_SECONDS = env_int("SECOND_FACTOR_STEP_UP_SECONDS", 600)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Provenance")
# django-otp's own throttling of wrong codes: each failure doubles the wait
# (factor × 2^(failures-1) seconds) on that device.
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_TOTP_THROTTLE_FACTOR", 1)
OTP_STATIC_THROTTLE_FACTOR = env_int("OTP_STATIC_THROTTLE_FACTOR", 1)
# WebAuthn: the relying party is the site's domain (never an IP address); the
# allowed origins are the exact scheme://host[:port] the browser shows. Unset, they
# follow ALLOWED_HOSTS (https, its named hosts) outside DEBUG.
_NAMED_HOSTS = [
    host.lstrip(".")
    for host in ALLOWED_HOSTS
    if host != "*" and not host.replace(".", "").isdigit()
]
OTP_WEBAUTHN_RP_ID = os.environ.get(
    "WEBAUTHN_RP_ID", "localhost" if DEBUG or not _NAMED_HOSTS else _NAMED_HOSTS[0]
)
OTP_WEBAUTHN_RP_NAME = os.environ.get("WEBAUTHN_RP_NAME", "Provenance")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "WEBAUTHN_ALLOWED_ORIGINS",
    ["http://localhost:8000"]
    if DEBUG
    else [f"https://{host}" for host in _NAMED_HOSTS],
)
# A key is a second factor here, never a way around the password (and axes).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# Single sign-on through an OpenID Connect provider (provenance/accounts/oidc.py),
# on only when a client id is set. It reaches existing accounts only: by the
# provider's bound `sub`, else by an email the provider marks verified.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "")
# The discovery document gives every endpoint (and the issuer) left unset below.
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SCOPES = "openid email"
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
if OIDC_ENABLED:
    if not OIDC_OP_DISCOVERY_URL and not all(
        (OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT)
    ):
        raise ImproperlyConfigured(
            "OIDC_RP_CLIENT_ID needs OIDC_OP_DISCOVERY_URL or the endpoint URLs"
        )
    # After axes, before the password backend (which stays last, as code that
    # signs a user in by hand expects); it answers the sign-on callback only.
    AUTHENTICATION_BACKENDS.insert(1, "provenance.accounts.oidc.ProvenanceOIDCBackend")

# History pages in the admin are read-only: a revert would save raw rows around
# the services (issue 12); provenance.teams.admin_base refuses the POST as well.
SIMPLE_HISTORY_REVERT_DISABLED = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media are private evidence: served only through an authorizing view, never by URL.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media-not-served/"
# MEDIA_STORAGE=s3: every stored file (originals, derivatives, exports) goes to a
# private S3-compatible bucket; the local disk stays the default. Files reach users
# only through the authorizing views, which stream them (no public URLs).
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local")
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured("MEDIA_STORAGE must be 'local' or 's3'")


def s3_storage(
    bucket: str, endpoint_url: str, access_key: str, secret_key: str
) -> dict:
    """The django-storages S3 backend for a private bucket (any S3-compatible
    server: AWS, SeaweedFS, MinIO, Ceph). Objects are never overwritten or public."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # A key prefix, for a bucket shared with other deployments.
            "location": os.environ.get("S3_PREFIX", ""),
            "endpoint_url": endpoint_url or None,
            "access_key": access_key,
            "secret_key": secret_key,
            "region_name": os.environ.get("S3_REGION", "us-east-1"),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": "path",
        },
    }


# S3_PRESIGNED_DOWNLOADS=true: a download (an original, a capture's file) is not
# streamed through the web node: once the authorizing view has checked the member
# and written the custody event, it redirects to a presigned URL of the object that
# expires after S3_PRESIGNED_EXPIRY_SECONDS. The S3 endpoint must then be reachable
# by browsers. Images shown in pages stay streamed (the pages' CSP is same-origin).
S3_PRESIGNED_DOWNLOADS = env_bool("S3_PRESIGNED_DOWNLOADS", False)
S3_PRESIGNED_EXPIRY_SECONDS = env_int("S3_PRESIGNED_EXPIRY_SECONDS", 60)
if S3_PRESIGNED_DOWNLOADS and MEDIA_STORAGE != "s3":
    raise ImproperlyConfigured("S3_PRESIGNED_DOWNLOADS needs MEDIA_STORAGE=s3")
if not 1 <= S3_PRESIGNED_EXPIRY_SECONDS <= 3600:
    raise ImproperlyConfigured("S3_PRESIGNED_EXPIRY_SECONDS must be 1 to 3600")

STORAGES = {
    "default": (
        s3_storage(
            os.environ.get("S3_BUCKET", ""),
            os.environ.get("S3_ENDPOINT_URL", ""),
            os.environ.get("S3_ACCESS_KEY_ID", ""),
            os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        )
        if MEDIA_STORAGE == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "provenance.common.static_storage.StaticStorage"
        )
    },
}

# Upload limits per evidence kind (bytes), enforced before the body is stored.
UPLOAD_MAX_BYTES = {
    "image": env_int("UPLOAD_MAX_IMAGE_BYTES", 50 * 1024 * 1024),
    "ais": env_int("UPLOAD_MAX_AIS_BYTES", 500 * 1024 * 1024),
    "document": env_int("UPLOAD_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024),
    # A WACZ made elsewhere (evidence/captures/wacz_import.py), imported whole.
    "wacz": env_int("UPLOAD_MAX_WACZ_BYTES", 200 * 1024 * 1024),
}
# What an imported WACZ may unpack to, all its members together (zip bombs).
WACZ_MAX_UNPACKED_BYTES = env_int("WACZ_MAX_UNPACKED_BYTES", 1 << 30)
# AIS decompression-bomb caps (evidence.ais.parse explains the defaults).
AIS_MAX_EXPANDED_BYTES = env_int("AIS_MAX_EXPANDED_BYTES", 1 << 30)
AIS_MAX_EXPANSION_RATIO = env_int("AIS_MAX_EXPANSION_RATIO", 100)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 50_000_000)
NEAR_DUPLICATE_MAX_DISTANCE = env_int("NEAR_DUPLICATE_MAX_DISTANCE", 10)
# Content Credentials: a PEM bundle of the certificate authorities whose signers
# are shown as "trusted" (e.g. the C2PA trust list); unset, none is.
C2PA_TRUST_ANCHORS = os.environ.get("C2PA_TRUST_ANCHORS", "").strip()
_anchors = Path(C2PA_TRUST_ANCHORS)
if C2PA_TRUST_ANCHORS and (
    not _anchors.is_file()
    or b"-----BEGIN CERTIFICATE-----" not in _anchors.read_bytes()
):
    raise ImproperlyConfigured(
        f"C2PA_TRUST_ANCHORS must be the path of a PEM certificate bundle, "
        f"not {C2PA_TRUST_ANCHORS!r}"
    )
# Documents (PDF, DOCX): what is read of them. Text is kept for search up to
# these caps (text_truncated says when one was hit); DOCX parts are refused
# past the size and compression-ratio caps (a zip bomb).
DOCUMENT_MAX_PAGES = env_int("DOCUMENT_MAX_PAGES", 2000)
DOCUMENT_MAX_TEXT_CHARS = env_int("DOCUMENT_MAX_TEXT_CHARS", 1_000_000)
DOCUMENT_MAX_PART_BYTES = env_int("DOCUMENT_MAX_PART_BYTES", 64 * 1024 * 1024)
DOCUMENT_MAX_EXPANSION_RATIO = env_int("DOCUMENT_MAX_EXPANSION_RATIO", 100)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

SIGNING_KEY_PATH = Path(
    os.environ.get("SIGNING_KEY_PATH", BASE_DIR / "var" / "signing_key.pem")
)
# Webhooks refuse private and loopback targets unless explicitly allowed.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# Web capture (evidence/captures): headless Chromium under the webhooks' address
# policy. Named hosts (a deployment's intranet, the tests' loopback site) may be
# private; caps bound one capture's bytes, resources and time.
CAPTURE_ALLOWED_PRIVATE_HOSTS = env_list("CAPTURE_ALLOWED_PRIVATE_HOSTS", [])
CAPTURE_MAX_BYTES = env_int("CAPTURE_MAX_BYTES", 50 * 1024 * 1024)
CAPTURE_MAX_RESOURCES = env_int("CAPTURE_MAX_RESOURCES", 500)
CAPTURE_TIMEOUT_SECONDS = env_int("CAPTURE_TIMEOUT_SECONDS", 60)
CAPTURE_CHROMIUM = os.environ.get("CAPTURE_CHROMIUM", "/usr/bin/chromium")
# Replay of captures (evidence/captures/replay.py says why): ReplayWeb.page runs
# a captured page's scripts, so it is served only from an origin of its own that
# shares no cookie with the tool, e.g. "https://replay.example.org" (a host name
# of this same deployment). Empty: no replay; the page lists the WARC records.
CAPTURE_REPLAY_ORIGIN = os.environ.get("CAPTURE_REPLAY_ORIGIN", "").strip().rstrip("/")
if CAPTURE_REPLAY_ORIGIN:
    _replay = urlsplit(CAPTURE_REPLAY_ORIGIN)
    if _replay.scheme not in {"http", "https"} or not _replay.hostname or _replay.path:
        raise ImproperlyConfigured(
            "CAPTURE_REPLAY_ORIGIN must be scheme://host[:port], not "
            f"{CAPTURE_REPLAY_ORIGIN!r}"
        )
    if _replay.hostname not in ALLOWED_HOSTS and "*" not in ALLOWED_HOSTS:
        ALLOWED_HOSTS = [*ALLOWED_HOSTS, _replay.hostname]
# Sealing a capture (evidence.captures.attestation): the WACZ is signed with an
# ECDSA P-256 key of its own (default: capture_signing_key.pem beside
# SIGNING_KEY_PATH); with CAPTURE_TSA_URL set, its digest is time-stamped
# (RFC 3161) and checked against CAPTURE_TSA_ROOTS (a PEM bundle; unset: the
# root the token carries, reported as not pinned). The TSA URL obeys the
# capture's address policy; CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS names private
# hosts allowed for it. CAPTURE_TLS_CA_FILE: the store a page's TLS chain is
# judged against (unset: the system's).
CAPTURE_SIGNING_KEY_PATH = os.environ.get("CAPTURE_SIGNING_KEY_PATH") or None
CAPTURE_TSA_URL = os.environ.get("CAPTURE_TSA_URL", "")
CAPTURE_TSA_ROOTS = os.environ.get("CAPTURE_TSA_ROOTS") or None
CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS = env_list("CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS", [])
CAPTURE_TSA_TIMEOUT_SECONDS = env_int("CAPTURE_TSA_TIMEOUT_SECONDS", 10)
CAPTURE_TLS_CA_FILE = os.environ.get("CAPTURE_TLS_CA_FILE") or None

# Email (notifications, address checks): printed to the console unless an SMTP
# server is configured. SITE_URL makes the links in emails absolute.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "provenance@localhost")

# Celery: with no broker, tasks run in-process so the tool works on a bare machine.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# With no broker, evidence processing (images, AIS, documents) runs in a background
# thread of the web process, so a 200,000-row upload answers at once and its page
# shows progress, as with a worker. 0: run it in the request (the tests do).
EVIDENCE_TASKS_IN_THREAD = env_bool("EVIDENCE_TASKS_IN_THREAD", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Short socket timeouts so a hung broker never hangs a web request.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 3,
    "socket_connect_timeout": 3,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_BEAT_SCHEDULE = {
    "publish-due-embargoes": {
        "task": "provenance.tasks.publish_due_claims",
        "schedule": 30.0,
    },
    "deliver-outbox": {
        "task": "provenance.tasks.deliver_outbox",
        "schedule": 30.0,
    },
    "retry-unsent-emails": {
        "task": "provenance.accounts.send_unsent_emails",
        "schedule": 300.0,
    },
    "daily-digests": {
        "task": "provenance.accounts.send_digests",
        "schedule": crontab(hour=7, minute=0),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": (
        "provenance.publishing.api.pagination.UpdatedCursorPagination"
    ),
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "EXCEPTION_HANDLER": "provenance.publishing.api.exceptions.exception_handler",
    # JSON only, bounded in depth (a deeply nested body was a RecursionError).
    "DEFAULT_PARSER_CLASSES": ["provenance.publishing.api.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "publisher": os.environ.get("API_PUBLISHER_RATE", "600/min"),
        "user": os.environ.get("API_MEMBER_RATE", "1200/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Provenance API",
    "DESCRIPTION": (
        "Claims, evidence and confidence history of a Provenance team. Team members "
        "authenticate with a session or token; publishers with an API key "
        "(`Authorization: Api-Key <prefix.secret>`) and read published claims only."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH bodies are documented as the serializer says: `version` is required.
    "COMPONENT_SPLIT_PATCH": False,
    # Three choice sets are all called "kind": name each (else W001 and hashed names).
    "ENUM_NAME_OVERRIDES": {
        "EvidenceKindEnum": "evidence.models.EvidenceKind",
        "EntityKindEnum": "provenance.entities.models.EntityKind",
        "SearchKindEnum": "provenance.search.models.DocumentKind",
        # The ownership graph (entities.models) and the one confidence scale.
        "RelationshipKindEnum": "provenance.entities.models.RelationshipKind",
        "DatePrecisionEnum": "provenance.entities.models.DatePrecision",
        "ConfidenceLevelEnum": "provenance.common.confidence.ConfidenceLevel",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "provenance.publishing.api.schema.add_error_responses",
        "provenance.publishing.api.schema.add_object_links",
    ],
}

# Maps (issue 21): a geolocated photo or scene farther than this from every place
# of its claim is flagged for review; a track read for a map is cached this long
# (0 = not cached; the key holds the analysis time, so it is never stale).
LOCATION_CHECK_FAR_KM = env_int("LOCATION_CHECK_FAR_KM", 50)
MAP_TRACK_CACHE_SECONDS = env_int("MAP_TRACK_CACHE_SECONDS", 3600)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# HTTPS hardening: on by default whenever DEBUG is off.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every PDF step at INFO; its warnings still show.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
