"""Django settings of the peer: SQLite, no debug, only what the introspection endpoint needs."""

import os

SECRET_KEY = "bench-peer-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "oauth2_provider",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "dotbench.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DOTBENCH_DB"]}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
OAUTH2_PROVIDER = {"SCOPES": {"read": "Read", "introspection": "Introspect tokens"}}
LOGGING = {"version": 1, "disable_existing_loggers": True}
