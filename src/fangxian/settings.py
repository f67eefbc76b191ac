"""Django settings. Everything configurable comes from environment variables (see env.py and docs/configuration.md)."""

from pathlib import Path

from fangxian.env import ConfigurationError, parse_database_url, read_bool, read_int, read_list, read_str

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(read_str("FANGXIAN_HOME", str(PACKAGE_DIR.parent.parent)))
VAR_DIR = PROJECT_DIR / "var"

ENVIRONMENT = read_str("FANGXIAN_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ConfigurationError(f"FANGXIAN_ENV 必须是 development 或 production (got {ENVIRONMENT!r})")
PRODUCTION = ENVIRONMENT == "production"

_DEMO_SECRET = "fangxian-development-only-secret-key-do-not-use-in-production"
SECRET_KEY = read_str("SECRET_KEY") if PRODUCTION else read_str("SECRET_KEY", _DEMO_SECRET)
DEBUG = read_bool("FANGXIAN_DEBUG", False)

if PRODUCTION:
    if SECRET_KEY == _DEMO_SECRET or len(SECRET_KEY) < 40:
        raise ConfigurationError("生产模式需要至少 40 个字符的 SECRET_KEY (production needs a real SECRET_KEY)")
    if DEBUG:
        raise ConfigurationError("生产模式不允许 FANGXIAN_DEBUG=true (DEBUG must be off in production)")

ALLOWED_HOSTS = read_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = read_list("CSRF_TRUSTED_ORIGINS", [])

# Demo accounts share one published password; it must never work on a production install.
DEMO_PASSWORD = None if PRODUCTION else "fangxian-demo"  # also refused at sign-in in production (core/auth.py)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "fangxian.core",
    "fangxian.people",
    "fangxian.leads",
    "fangxian.reports",
    "fangxian.dashboard",
    "fangxian.control",
    "fangxian.sites",
    "fangxian.testing",
    "fangxian.venues",
    "fangxian.cases",
    "fangxian.vaccination",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fangxian.core.middleware.RequestSizeMiddleware",
    "fangxian.core.middleware.RejectNulMiddleware",
    "fangxian.core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fangxian.urls"
WSGI_APPLICATION = "fangxian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fangxian.core.context_processors.shell",
            ],
        },
    }
]

DATABASES = {"default": parse_database_url(read_str("DATABASE_URL", "sqlite:///var/fangxian.sqlite3"), PROJECT_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["fangxian.core.auth.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "core:login"
LOGIN_MAX_FAILURES = read_int("FANGXIAN_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = read_int("FANGXIAN_LOGIN_LOCKOUT_MINUTES", 15)

# Idle sessions end after two hours; every request renews the clock.
SESSION_COOKIE_AGE = read_int("FANGXIAN_SESSION_SECONDS", 2 * 60 * 60)
# Where notifications go besides the app (an SMS or enterprise-WeChat gateway class); the default only logs.
FANGXIAN_NOTIFIER = read_str("FANGXIAN_NOTIFIER", "fangxian.core.notify.LogNotifier")
# Days of samples and lab submissions kept (whole day partitions are dropped after that); 0 keeps everything.
TESTING_RETENTION_DAYS = read_int("FANGXIAN_TESTING_RETENTION_DAYS", 30)
# Days of venue scans kept (minimum necessary: the longest look-back a tracer needs); whole days are dropped.
SCAN_RETENTION_DAYS = max(1, read_int("FANGXIAN_SCAN_RETENTION_DAYS", 28))
# What a venue poster's QR code carries before the venue code: the health-code platform's scan address.
VENUE_QR_PREFIX = read_str("FANGXIAN_VENUE_QR_PREFIX", "https://jkm.henan.gov.cn/venue/")
# A font with Chinese glyphs for the printed posters (Debian: fonts-noto-cjk); a .ttc names its face by index.
CJK_FONT = read_str("FANGXIAN_CJK_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
CJK_FONT_INDEX = read_int("FANGXIAN_CJK_FONT_INDEX", 2)  # 2: Simplified Chinese in the Noto CJK collections
# The largest file a page or the API takes (MB): a pushed list of a whole city is ~60 MB as xlsx.
MAX_UPLOAD_MB = read_int("FANGXIAN_MAX_UPLOAD_MB", 200)
# Errors of an upload shown on its page; all of them are in the file offered for download.
PAGE_ERROR_LIMIT = 100
# Problems an upload keeps row by row for its downloadable file (the rest are counted): an xlsx sheet holds
# about 10⁶ rows, and a file of millions of bad rows must not cost gigabytes to describe.
PROBLEM_ROWS_KEPT = read_int("FANGXIAN_PROBLEM_ROWS_KEPT", 100_000)
# The age bands vaccination coverage is shown in (lowest age–highest age; the last may be open, "80-"). Ages are
# whole years at the reference date.
VACCINATION_BANDS = read_list("FANGXIAN_VACCINATION_BANDS", ["3-11", "12-17", "18-59", "60-69", "70-79", "80-"])
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION and read_bool("FANGXIAN_HTTPS", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = read_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = PROJECT_DIR / "node_modules"
# Front-end packages come from npm (package.json); only their built files are exposed.
STATICFILES_DIRS = [
    ("vendor/tabler", NODE_MODULES / "@tabler" / "core" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/swagger-ui", NODE_MODULES / "swagger-ui-dist"),
    PACKAGE_DIR / "static",  # the project's own (static/fangxian/…)
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "fangxian.core.api_access.UserTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "fangxian.core.api_access.HoldsCapability",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fangxian.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fangxian 防线 API",
    "DESCRIPTION": "区/县疫情防控指挥平台接口。Token: `Authorization: Token <key>`; a token carries its user's scope.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # In production the schema and its browser are for signed-in users only: it maps every route an attacker
    # would probe. The development server keeps it open for the API tests and the docs page.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"]
    if PRODUCTION
    else ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # The API browser is served by the project (npm's swagger-ui-dist), not a public CDN an intranet cannot reach.
    "SWAGGER_UI_DIST": STATIC_URL + "vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": STATIC_URL + "fangxian/favicon.svg",
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": read_str("LOG_LEVEL", "INFO")},
    # The poster's font subsetting narrates every glyph at INFO.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

if PRODUCTION:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
