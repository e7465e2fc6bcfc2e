"""A minimal Django project serving django-oauth-toolkit on loopback, with SQLite in a directory given
by QFLOW_INTEROP_DB_DIR. Test use only: DEBUG is off, but the secret key is not secret."""
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "qflow-interop-test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "oauth2_provider",
]
MIDDLEWARE = []
ROOT_URLCONF = "dot_server.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(os.environ.get("QFLOW_INTEROP_DB_DIR", BASE_DIR), "db.sqlite3"),
        # The tests run in parallel against a threaded runserver. SQLite's default deferred transactions
        # fail at once with "database is locked" (an HTTP 500) when two of them upgrade to writing;
        # immediate ones take the write lock up front and wait for it, up to the timeout.
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# Fast hashing: the suite creates users and hashed client secrets at every run.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Server errors (a 500's traceback) go to stderr, which run.sh keeps in server.log and prints when a
# test fails; everything else stays quiet.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": True,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}

OAUTH2_PROVIDER = {
    "SCOPES": {
        "qflowapi": "QFlow Hub API",
        "openid": "OpenID (a plain scope here: OIDC is off)",
        "offline_access": "Refresh tokens",
    },
    "DEFAULT_SCOPES": ["qflowapi"],
    "ROTATE_REFRESH_TOKEN": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_REUSE_PROTECTION": False,
}
