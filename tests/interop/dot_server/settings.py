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
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# Fast hashing: the suite creates users and hashed client secrets at every run.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": True}

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
