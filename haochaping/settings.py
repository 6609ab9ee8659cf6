"""Django settings for haochaping.

Every setting comes from an environment variable through the small typed helpers in
``haochaping.core.env`` (``NAME_FILE`` is honoured for secrets). Insecure defaults exist only in
the embedded demo mode (``HAOCHAPING_DEMO=1``, set by ``make demo`` and the test suite); a
production deployment must provide its own keys and ``manage.py check --deploy`` refuses the
demo ones.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from haochaping.core.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("HAOCHAPING_VAR_DIR", str(BASE_DIR / "var")))

DEMO_MODE = env_bool("HAOCHAPING_DEMO", False)
DEBUG = env_bool("HAOCHAPING_DEBUG", False)

# --- secrets -------------------------------------------------------------------------------
# In demo mode fixed, publicly known keys are used so that `make demo` works out of the box.
# They are marked as such and refused by `check --deploy` (see core/checks.py).
DEMO_SECRET = "demo-only-insecure-key-do-not-use-in-production"  # noqa: S105  (public demo key, refused by check --deploy)
SECRET_KEY = env_secret("HAOCHAPING_SECRET_KEY", DEMO_SECRET if DEMO_MODE else None)
# SM4 key for identity fields: 32 hex chars (128 bit). Older keys stay readable for rotation.
SM4_KEY = env_secret("HAOCHAPING_SM4_KEY", "0123456789abcdeffedcba9876543210" if DEMO_MODE else None)
SM4_OLD_KEYS = env_list("HAOCHAPING_SM4_OLD_KEYS", [])
# Key for the SM3 blind index (lookups by phone / ID number without storing them).
INDEX_KEY = env_secret("HAOCHAPING_INDEX_KEY", "demo-blind-index-key" if DEMO_MODE else None)
# Key for the HMAC-SM3 chain over audit events.
AUDIT_KEY = env_secret("HAOCHAPING_AUDIT_KEY", "demo-audit-chain-key" if DEMO_MODE else None)
DEMO_KEYS = {
    "HAOCHAPING_SECRET_KEY": DEMO_SECRET,
    "HAOCHAPING_SM4_KEY": "0123456789abcdeffedcba9876543210",
    "HAOCHAPING_INDEX_KEY": "demo-blind-index-key",
    "HAOCHAPING_AUDIT_KEY": "demo-audit-chain-key",
}

ALLOWED_HOSTS = env_list("HAOCHAPING_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("HAOCHAPING_CSRF_TRUSTED_ORIGINS", [])
# The public base URL used to build citizen links (SMS, QR). No trailing slash.
PUBLIC_BASE_URL = env_str("HAOCHAPING_PUBLIC_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "haochaping.core",
    "haochaping.jobs",
    "haochaping.organizations",
    "haochaping.audit",
    "haochaping.service_records",
    "haochaping.evaluations",
    "haochaping.rectification",
    "haochaping.intake",  # rating intake: above rectification (opens cases), below outreach
    "haochaping.outreach",  # callbacks (回访), rating invitations (邀评), demands (诉求); after rectification
    "haochaping.notifications",
    "haochaping.analytics",  # KPIs, rollups, rankings, 通报: reads every domain app, below the pages
    "haochaping.insight",  # attribution, 共性问题, integrity flags, supervision records: below analytics
    "haochaping.portal",
    "haochaping.console",
]
if env_bool("HAOCHAPING_BENCH", False):  # bench/intake.py only: the bare baseline endpoint
    INSTALLED_APPS.append("bench.baseline")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "haochaping.core.csp.CSPMiddleware",  # django-csp, the header built once per process
    "haochaping.organizations.api_auth.ApiNonceMiddleware",
]

ROOT_URLCONF = "haochaping.urls"
WSGI_APPLICATION = "haochaping.wsgi.application"

# Each domain app keeps its staff pages in its own ``console/`` package, laid out as Django lays
# out an app (``templates/``, ``templatetags/``, ``static/``); these lines point Django there.
# Names are namespaced by app (``rectification/cases.html``, ``{% load cases %}``,
# ``outreach/console.css``), so two apps never shadow each other (a test checks the names).
CONSOLE_PACKAGES = sorted(path for path in PACKAGE_DIR.glob("*/console") if (path / "__init__.py").exists())
CONSOLE_TEMPLATE_DIRS = [path / "templates" for path in CONSOLE_PACKAGES if (path / "templates").is_dir()]
CONSOLE_TEMPLATE_LIBRARIES = {
    module.stem: f"haochaping.{package.parent.name}.console.templatetags.{module.stem}"
    for package in CONSOLE_PACKAGES
    for module in sorted((package / "templatetags").glob("*.py"))
    if module.stem != "__init__"
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": CONSOLE_TEMPLATE_DIRS,
        "APP_DIRS": True,
        "OPTIONS": {
            "libraries": CONSOLE_TEMPLATE_LIBRARIES,
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "haochaping.console.context_processors.console",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------------
# Embedded default: SQLite in WAL mode under var/. DATABASE_URL=postgres://... switches to
# PostgreSQL (psycopg 3) and nothing else changes.
SQLITE_PATH = VAR_DIR / "haochaping.sqlite3"
DATABASE_URL = env_secret("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")  # may hold a password: _FILE works
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("HAOCHAPING_CONN_MAX_AGE", 600))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend plus a blocking cross-process writer queue (core/db/sqlite/base.py).
    _db["ENGINE"] = "haochaping.core.db.sqlite"
    _db["OPTIONS"] = {
        # Writers queue on the lock instead of failing; IMMEDIATE takes the write lock at
        # BEGIN so that two writers never deadlock on a read->write upgrade.
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        # journal_size_limit: a WAL that grew while a long read held its reset back (a large
        # export) is cut back to 64 MiB at its next reset instead of keeping its size on disk.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=30000; PRAGMA cache_size=-20000; PRAGMA journal_size_limit=67108864;"
        ),
    }
    _db["CONN_MAX_AGE"] = None  # one connection per server thread, kept
    # Tests use a file too (not :memory:), so concurrent-writer tests see real WAL locking.
    # One file per test process, so two concurrent runs never share a database.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    _db.setdefault("OPTIONS", {})
    _db["CONN_HEALTH_CHECKS"] = True
    # One test database per test process, so two concurrent runs never share one.
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
DATABASES = {"default": _db}
# PostgreSQL: the rating-intake statements are prepared once per connection (core/db/hot.py).
# Turn off behind a pooler that cannot carry prepared statements (PgBouncer in transaction
# mode before 1.21).
PG_PREPARED_STATEMENTS = env_bool("HAOCHAPING_PG_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "haochaping.core.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},  # Chinese message
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"
# The one-time links an administrator hands over to activate an account or reset a forgotten
# password (organizations/administration/accounts.py): valid this many hours, and once.
PASSWORD_RESET_TIMEOUT = env_int("HAOCHAPING_PASSWORD_LINK_HOURS", 72) * 3600
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"
# 等保 login-failure handling: this many failures within the window lock the username.
LOGIN_MAX_FAILURES = env_int("HAOCHAPING_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCK_MINUTES = env_int("HAOCHAPING_LOGIN_LOCK_MINUTES", 15)
# The same window per client address, over all usernames (one address trying many names): from
# LOGIN_IP_SLOW_AFTER failures on, each try waits LOGIN_IP_BACKOFF_SECONDS after the last failure,
# doubling per failure up to LOGIN_IP_BACKOFF_MAX_SECONDS ("请 N 秒后再试"; no worker sleeps);
# from LOGIN_IP_MAX_FAILURES on, no login from that address is checked until the window moves on.
# An administrator unlocks a username or an address on 登录锁定 (audit/auth_events.py).
LOGIN_IP_SLOW_AFTER = env_int("HAOCHAPING_LOGIN_IP_SLOW_AFTER", 10)
LOGIN_IP_MAX_FAILURES = env_int("HAOCHAPING_LOGIN_IP_MAX_FAILURES", 30)
LOGIN_IP_BACKOFF_SECONDS = env_int("HAOCHAPING_LOGIN_IP_BACKOFF_SECONDS", 1)
LOGIN_IP_BACKOFF_MAX_SECONDS = env_int("HAOCHAPING_LOGIN_IP_BACKOFF_MAX_SECONDS", 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("HAOCHAPING_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_SECURE = env_bool("HAOCHAPING_SECURE_COOKIES", not DEMO_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# TLS is normally terminated by the reverse proxy (Nginx) in front of granian: trust its
# X-Forwarded-Proto only when told to, and let Django redirect to HTTPS only when asked.
if env_bool("HAOCHAPING_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("HAOCHAPING_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("HAOCHAPING_HSTS_SECONDS", 0 if DEMO_MODE else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
# W008 (SECURE_SSL_REDIRECT off) is expected behind a TLS-terminating proxy; see README 生产部署.
# W040: the rollups' covering indexes (``include``) are for PostgreSQL; SQLite builds them
# without the included columns, which is fine.
SILENCED_SYSTEM_CHECKS = ["security.W008", "models.W040"]
# Number of reverse proxies in front of the app whose X-Forwarded-For may be trusted for the
# client address (audit, login lockout, rate limits); 0 = use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("HAOCHAPING_TRUSTED_PROXY_COUNT", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response (django-csp): the console, the citizen pages, the
# tablet and the kiosk load scripts and styles only from our own static files. No inline script,
# no inline event handler, no ``javascript:`` URL, no style attribute or <style> block (a test
# scans every template; docs/subsystems/access.md). Images: ours, ``data:`` (the empty favicon)
# and ``blob:`` (the tablet shows staff photos fetched with its device credential).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- i18n ----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # var/ also holds the embedded database
STATICFILES_DIRS = [path / "static" for path in CONSOLE_PACKAGES if (path / "static").is_dir()]  # console CSS
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from app static dirs; no collectstatic step needed
MEDIA_ROOT = Path(env_str("HAOCHAPING_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- domain settings -----------------------------------------------------------------------
# Days from the rating to the rectification deadline (制度第九条: 15 个自然日), counted as
# natural or working days by RECTIFICATION_DAY_KIND below.
RECTIFICATION_DAYS = env_int("HAOCHAPING_RECTIFICATION_DAYS", 15)
# "natural" (制度第九条) or "working" (Chinese working days, holidays and make-up days counted).
RECTIFICATION_DAY_KIND = env_str("HAOCHAPING_RECTIFICATION_DAY_KIND", "natural")
# Warn this many hours before a case's deadline; escalate (督办) this many hours after it.
RECTIFICATION_WARN_HOURS = env_int("HAOCHAPING_RECTIFICATION_WARN_HOURS", 48)
RECTIFICATION_ESCALATE_AFTER_HOURS = env_int("HAOCHAPING_RECTIFICATION_ESCALATE_AFTER_HOURS", 24)
# Common problems (制度第十一条, insight/problems): a concentration is this many bad ratings (and
# demands, for items and phrases) of one unit sharing a staff member, window, item, reason or key
# phrase within the rolling window; an accepted one is rectified within INSIGHT_PROBLEM_DAYS
# (counted like RECTIFICATION_DAY_KIND).
INSIGHT_PROBLEM_WINDOW_DAYS = env_int("HAOCHAPING_INSIGHT_PROBLEM_WINDOW_DAYS", 30)
INSIGHT_PROBLEM_THRESHOLD = {
    kind: env_int(f"HAOCHAPING_INSIGHT_PROBLEM_THRESHOLD_{kind.upper()}", default)
    for kind, default in (("staff", 6), ("window", 6), ("item", 6), ("phrase", 5), ("reason", 5))
}
INSIGHT_PROBLEM_DAYS = env_int("HAOCHAPING_INSIGHT_PROBLEM_DAYS", 30)
# The supervisors' daily digest of overdue cases and demands (督办汇总) goes out at the first run
# of its job from this local hour on (0-23), once a day.
SUPERVISION_DIGEST_HOUR = env_int("HAOCHAPING_SUPERVISION_DIGEST_HOUR", 8)
CASE_ATTACHMENT_MAX_BYTES = env_int("HAOCHAPING_CASE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# Signature window for business-system API requests, in seconds.
API_SIGNATURE_WINDOW = env_int("HAOCHAPING_API_SIGNATURE_WINDOW", 300)
# Independent hash chains in the audit log: concurrent PostgreSQL writers spread over them.
AUDIT_LANES = env_int("HAOCHAPING_AUDIT_LANES", 16)
# Where the periodic audit checkpoints (MACed lane heads) are appended: keep it off the DB host.
AUDIT_CHECKPOINT_FILE = env_str("HAOCHAPING_AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl"))
# Max records in one batch push.
API_BATCH_MAX = 1000
# The number citizens are told to call when a link fails or they need help.
PORTAL_HALL_PHONE = env_str("HAOCHAPING_PORTAL_HALL_PHONE", "12345（政务服务便民热线）")
# Request bodies held in memory: case attachments arrive base64-encoded through the API.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HAOCHAPING_UPLOAD_MAX_BYTES", 32 * 1024 * 1024)
# A friendly Chinese page instead of Django's CSRF failure page (expired forms, blocked cookies).
CSRF_FAILURE_VIEW = "haochaping.core.views.csrf_failure"
# How long a window tablet keeps showing a "please rate" request before returning to idle.
TABLET_REQUEST_SECONDS = env_int("HAOCHAPING_TABLET_REQUEST_SECONDS", 600)
# Lifetime of a signed citizen rating link.
RATING_LINK_DAYS = env_int("HAOCHAPING_RATING_LINK_DAYS", 30)
# Lifetime of the short link to 我的评价 in the feedback SMS (docs/subsystems/notifications.md).
MY_LINK_DAYS = env_int("HAOCHAPING_MY_LINK_DAYS", 30)

# --- outreach: call lists and demands (haochaping/outreach, docs/subsystems/outreach.md) ---
# Calls per task before it closes as unreachable (无人接听 counts; 号码错误 closes at once).
OUTREACH_MAX_ATTEMPTS = env_int("HAOCHAPING_OUTREACH_MAX_ATTEMPTS", 3)
# A service still unrated this many days after it finished joins the invitation (邀评) list,
# online and offline separately (an offline citizen left the hall; an online one may still rate).
OUTREACH_INVITE_AFTER_DAYS_ONLINE = env_int("HAOCHAPING_OUTREACH_INVITE_AFTER_DAYS_ONLINE", 3)
OUTREACH_INVITE_AFTER_DAYS_OFFLINE = env_int("HAOCHAPING_OUTREACH_INVITE_AFTER_DAYS_OFFLINE", 1)
# Services finished longer ago than this are not invited any more (the rating link lasts 30 days).
OUTREACH_INVITE_MAX_AGE_DAYS = env_int("HAOCHAPING_OUTREACH_INVITE_MAX_AGE_DAYS", 30)
# After 无人接听 without a chosen time, the next attempt is due this many minutes later.
OUTREACH_RETRY_MINUTES = env_int("HAOCHAPING_OUTREACH_RETRY_MINUTES", 120)
# How long 下一个 holds a task for one operator before another may take it.
OUTREACH_CLAIM_MINUTES = env_int("HAOCHAPING_OUTREACH_CLAIM_MINUTES", 15)
# Demands: time limit in working days when a demand has no category (categories carry their own).
DEMAND_DEFAULT_DAYS = env_int("HAOCHAPING_DEMAND_DEFAULT_DAYS", 5)
# Warn this many hours before a demand's time limit; escalate (督办) this many hours after it.
DEMAND_WARN_HOURS = env_int("HAOCHAPING_DEMAND_WARN_HOURS", 24)
DEMAND_ESCALATE_AFTER_HOURS = env_int("HAOCHAPING_DEMAND_ESCALATE_AFTER_HOURS", 24)
# Unit code where demands without a unit are received (portal, API without a unit); empty = the tree's root.
DEMAND_INTAKE_UNIT = env_str("HAOCHAPING_DEMAND_INTAKE_UNIT", "")
# Public form anti-abuse: submissions per client address per hour, failed tracking lookups per hour.
DEMAND_SUBMISSIONS_PER_HOUR = env_int("HAOCHAPING_DEMAND_SUBMISSIONS_PER_HOUR", 5)
DEMAND_TRACK_FAILURES_PER_HOUR = env_int("HAOCHAPING_DEMAND_TRACK_FAILURES_PER_HOUR", 10)
# Lifetime of the signed link to follow a demand (in the reply SMS and on the confirmation page).
DEMAND_LINK_DAYS = env_int("HAOCHAPING_DEMAND_LINK_DAYS", 180)

# --- insight: rating-integrity flags (docs/subsystems/insight.md, 通知 二(四)) ---------------
# Detection looks back this many days (the scheduled run; on demand and the CLI may say otherwise).
INSIGHT_INTEGRITY_WINDOW_DAYS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_WINDOW_DAYS", 31)
# Tablet burst: at least N 非常满意 from one tablet within M minutes.
INSIGHT_INTEGRITY_BURST_COUNT = env_int("HAOCHAPING_INSIGHT_INTEGRITY_BURST_COUNT", 8)
INSIGHT_INTEGRITY_BURST_MINUTES = env_int("HAOCHAPING_INSIGHT_INTEGRITY_BURST_MINUTES", 10)
# Quick after 请评价: a clerk's requested services rated within S seconds of the request make up
# at least X percent of at least K requested services.
INSIGHT_INTEGRITY_QUICK_SECONDS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_QUICK_SECONDS", 5)
INSIGHT_INTEGRITY_QUICK_PERCENT = env_int("HAOCHAPING_INSIGHT_INTEGRITY_QUICK_PERCENT", 60)
INSIGHT_INTEGRITY_QUICK_MIN_SERVICES = env_int("HAOCHAPING_INSIGHT_INTEGRITY_QUICK_MIN_SERVICES", 10)
# One phone number rating at least N services across at least U units within D days.
INSIGHT_INTEGRITY_PHONE_SERVICES = env_int("HAOCHAPING_INSIGHT_INTEGRITY_PHONE_SERVICES", 10)
INSIGHT_INTEGRITY_PHONE_UNITS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_PHONE_UNITS", 4)
INSIGHT_INTEGRITY_PHONE_DAYS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_PHONE_DAYS", 30)
# Phone ratings per operator: share of 非常满意 at least k standard errors (tenths: 30 = 3.0)
# and G percentage points above the other operators' pooled share, with at least V ratings.
INSIGHT_INTEGRITY_OPERATOR_MIN_RATINGS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_OPERATOR_MIN_RATINGS", 20)
INSIGHT_INTEGRITY_OPERATOR_Z_TENTHS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_OPERATOR_Z_TENTHS", 30)
INSIGHT_INTEGRITY_OPERATOR_GAP_PERCENT = env_int("HAOCHAPING_INSIGHT_INTEGRITY_OPERATOR_GAP_PERCENT", 15)
# One evaluator (phone blind index) giving at least N bad ratings to one clerk within D days.
INSIGHT_INTEGRITY_REPEATED_BAD_COUNT = env_int("HAOCHAPING_INSIGHT_INTEGRITY_REPEATED_BAD_COUNT", 3)
INSIGHT_INTEGRITY_REPEATED_BAD_DAYS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_REPEATED_BAD_DAYS", 30)
# A unit whose share of system default ratings is at least X percent and at least R times the
# overall share (with at least V ratings).
INSIGHT_INTEGRITY_DEFAULT_PERCENT = env_int("HAOCHAPING_INSIGHT_INTEGRITY_DEFAULT_PERCENT", 30)
INSIGHT_INTEGRITY_DEFAULT_RATIO = env_int("HAOCHAPING_INSIGHT_INTEGRITY_DEFAULT_RATIO", 2)
INSIGHT_INTEGRITY_DEFAULT_MIN_RATINGS = env_int("HAOCHAPING_INSIGHT_INTEGRITY_DEFAULT_MIN_RATINGS", 30)

# --- background jobs (haochaping/jobs) -----------------------------------------------------
# A running job's lease: past it, another worker assumes the first one died and runs it again.
# Every task must finish well within it.
JOBS_LEASE_SECONDS = env_int("HAOCHAPING_JOBS_LEASE_SECONDS", 600)
# Done jobs are deleted after this many days (dead jobs are kept until someone handles them).
JOBS_KEEP_DONE_DAYS = env_int("HAOCHAPING_JOBS_KEEP_DONE_DAYS", 30)

# --- notifications (haochaping/notifications, docs/subsystems/notifications.md) -----------
# SMS transport: "file" (demo: appends plaintext JSON lines to SMS_OUTBOX_FILE; refused by
# check --deploy outside demo mode), "console" (logs a masked line; nobody receives anything)
# or "aliyun" (Dysmsapi SendSms over HTTPS).
SMS_TRANSPORT = env_str("HAOCHAPING_SMS_TRANSPORT", "file" if DEMO_MODE else "console")
SMS_OUTBOX_FILE = Path(env_str("HAOCHAPING_SMS_OUTBOX_FILE", str(VAR_DIR / "sms-outbox.jsonl")))
# Attempts (transport calls) per SMS before it is dead; the delivery job gets the same limit.
SMS_MAX_ATTEMPTS = env_int("HAOCHAPING_SMS_MAX_ATTEMPTS", 5)
# A message left "sending" longer than this lost its worker mid-call: it is checked with the
# provider (or marked uncertain), never resent blindly. Keep it well above the HTTP timeout.
SMS_SENDING_LEASE_SECONDS = env_int("HAOCHAPING_SMS_SENDING_LEASE_SECONDS", 300)
SMS_HTTP_TIMEOUT_SECONDS = env_int("HAOCHAPING_SMS_HTTP_TIMEOUT_SECONDS", 10)
SMS_ALIYUN_ENDPOINT = env_str("HAOCHAPING_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
SMS_ALIYUN_REGION_ID = env_str("HAOCHAPING_SMS_ALIYUN_REGION_ID", "cn-hangzhou")
SMS_ALIYUN_ACCESS_KEY_ID = env_str("HAOCHAPING_SMS_ALIYUN_ACCESS_KEY_ID", "")
# Required (here or as _FILE) only when SMS_TRANSPORT is "aliyun".
SMS_ALIYUN_ACCESS_KEY_SECRET = env_secret(
    "HAOCHAPING_SMS_ALIYUN_ACCESS_KEY_SECRET", None if SMS_TRANSPORT == "aliyun" and not DEMO_MODE else ""
)
SMS_ALIYUN_SIGN_NAME = env_str("HAOCHAPING_SMS_ALIYUN_SIGN_NAME", "石龙区政务服务")
# Our template code -> the provider's approved template code: "case_feedback=SMS_1234,sms_code=SMS_5678".
SMS_ALIYUN_TEMPLATES = dict(
    item.split("=", 1) for item in env_list("HAOCHAPING_SMS_ALIYUN_TEMPLATES", []) if "=" in item
)

# --- logging: never plaintext identity (identity fields are never passed to loggers) -----
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HAOCHAPING_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": env_str("HAOCHAPING_LOG_LEVEL", "INFO")},
    },
}

# --- analytics: rollups, KPIs, rankings (haochaping/analytics, docs/subsystems/analytics.md) ---
# A rollup refresh rescans the rows written during this many seconds before the previous run
# (a transaction still open then may commit late); longer than any intake transaction.
ANALYTICS_ROLLUP_LAG_SECONDS = env_int("HAOCHAPING_ANALYTICS_ROLLUP_LAG_SECONDS", 300)
# Whether 基本满意 counts as 好评 (SPEC §5: configurable; the national rule counts it).
ANALYTICS_BASIC_IS_GOOD = env_bool("HAOCHAPING_ANALYTICS_BASIC_IS_GOOD", True)
# Rankings (analytics/ranking.py): an entity with fewer than this many in a measure's
# denominator (e.g. valid ratings) is listed but not ranked; the ranked value is shrunk toward
# the mean with this prior weight (a Bayesian average).
ANALYTICS_RANK_MIN_SAMPLE = env_int("HAOCHAPING_ANALYTICS_RANK_MIN_SAMPLE", 30)
ANALYTICS_RANK_PRIOR_WEIGHT = env_int("HAOCHAPING_ANALYTICS_RANK_PRIOR_WEIGHT", 50)


def _weights(items: list[str]) -> dict[str, object]:
    """The "code=weight" pairs as a dict; a weight that is not an integer is kept as text for the check to name."""
    pairs = (item.partition("=") for item in items)
    return {code.strip(): int(w) if w.strip().lstrip("-").isdigit() else w.strip() for code, _, w in pairs}


# 考核得分 (analytics/assessment.py): the weight of each measure, "code=weight" pairs summing to
# 100; one set for units, one for staff members (no measures that only units have). Checked at
# startup (analytics/checks.py).
ANALYTICS_ASSESSMENT_WEIGHTS = _weights(
    env_list(
        "HAOCHAPING_ANALYTICS_ASSESSMENT_WEIGHTS",
        ["score=40", "good_rate=20", "rating_rate=15", "rectify_rate=15", "on_time_rate=10"],
    )
)
ANALYTICS_ASSESSMENT_STAFF_WEIGHTS = _weights(
    env_list("HAOCHAPING_ANALYTICS_ASSESSMENT_STAFF_WEIGHTS", ["score=50", "good_rate=30", "rating_rate=20"])
)
# 重点督办 (analytics/supervision.py): the rules that mark units, windows and staff members, each
# merged over its defaults (a rule left out keeps them; "enabled": False switches it off), and the
# rectification deadline of a mark in days. Checked at startup (analytics/checks.py).
ANALYTICS_SUPERVISION_RULES = {
    "bottom_score": {
        "bottom": env_int("HAOCHAPING_ANALYTICS_SUPERVISION_BOTTOM", 3),
        "months": env_int("HAOCHAPING_ANALYTICS_SUPERVISION_MONTHS", 2),
    },
    "bad_rate": {
        "above_percent": env_int("HAOCHAPING_ANALYTICS_SUPERVISION_BAD_RATE_PERCENT", 5),
        "months": env_int("HAOCHAPING_ANALYTICS_SUPERVISION_MONTHS", 2),
    },
    "overdue_cases": {"above": env_int("HAOCHAPING_ANALYTICS_SUPERVISION_OVERDUE_CASES", 3)},
    "staff_notice": {
        "bottom": env_int("HAOCHAPING_ANALYTICS_SUPERVISION_BOTTOM", 3),
        "months": env_int("HAOCHAPING_ANALYTICS_SUPERVISION_NOTICE_MONTHS", 3),
    },
}
ANALYTICS_SUPERVISION_DEADLINE_DAYS = env_int("HAOCHAPING_ANALYTICS_SUPERVISION_DEADLINE_DAYS", 30)
# Monthly 通报 (analytics/reports, analytics/services.py): the issuing organ of the 红头 (empty:
# the unit tree's root + 政务服务中心), the 文号 prefix (石政服〔2026〕3号), the 主送 line, the
# hour (local) from which the previous month's report is generated on the 1st, and the CJK font
# files tried for the charts (Debian's fonts-noto-cjk first).
ANALYTICS_REPORT_ORGAN = env_str("HAOCHAPING_ANALYTICS_REPORT_ORGAN", "")
ANALYTICS_REPORT_NUMBER_PREFIX = env_str("HAOCHAPING_ANALYTICS_REPORT_NUMBER_PREFIX", "石政服")
ANALYTICS_REPORT_RECIPIENTS = env_str(
    "HAOCHAPING_ANALYTICS_REPORT_RECIPIENTS", "区直各单位，各街道便民服务中心、社区便民服务点："
)
ANALYTICS_REPORT_HOUR = env_int("HAOCHAPING_ANALYTICS_REPORT_HOUR", 2)
ANALYTICS_CHART_FONTS = env_list(
    "HAOCHAPING_ANALYTICS_CHART_FONTS",
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    ],
)
