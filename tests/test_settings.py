"""Configuration comes from the environment (DESIGN.md, Configuration): each case imports the settings
in a fresh interpreter with only the given variables set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Settings are read without django.setup(), so a mysql:// URL needs no MySQL driver here.
PROBE = """
import json
from django.conf import settings
from labelplatform.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "options": db.get("OPTIONS", {}),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "layer_hosts": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": app.conf.broker_url, "eager": app.conf.task_always_eager,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "bucket": settings.STORAGES["default"].get("OPTIONS", {}).get("bucket_name"),
    "debug": settings.DEBUG, "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "access": settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds(),
    "user_token": settings.USER_TOKEN_LIFETIME.total_seconds(),
    "google_apps": [a["client_id"] for a in settings.SOCIALACCOUNT_PROVIDERS["google"]["APPS"]],
    "cors_all": settings.CORS_ALLOW_ALL_ORIGINS, "cors": settings.CORS_ALLOWED_ORIGINS,
    "beat": sorted(app.conf.beat_schedule),
}))
"""
CONFIG_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "DEBUG",
    "SECRET_KEY",
    "GOOGLE_CLIENT_ID",
    "ACCESS_TOKEN_LIFETIME",
    "USER_TOKEN_LIFETIME",
    "CORS_ALLOWED_ORIGINS",
)


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter whose environment holds only the given configuration variables."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env.update(variables, DJANGO_SETTINGS_MODULE="labelplatform.settings")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def load_settings(**variables: str) -> dict:
    result = run_python(PROBE, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_nothing_set_gives_the_embedded_default():
    config = load_settings()
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["name"].endswith("db.sqlite3")
    assert config["layer"] == "channels.layers.InMemoryChannelLayer"
    assert config["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert config["eager"] is True
    assert config["storage"] == "django.core.files.storage.FileSystemStorage"
    assert config["debug"] is True
    assert config["access"] == 300
    assert config["user_token"] == 7 * 86400
    assert config["google_apps"] == []
    assert config["cors_all"] is True
    assert {"flush-expired-tokens", "clear-expired-sessions"} <= set(config["beat"])


def test_production_services_come_from_the_environment():
    config = load_settings(
        DATABASE_URL="mysql://lp:secret@db.example.org:3307/labels",
        REDIS_URL="redis://redis.example.org:6379/2",
        AWS_STORAGE_BUCKET_NAME="clips",
        DEBUG="false",
        SECRET_KEY="x" * 60,
        GOOGLE_CLIENT_ID="123.apps.googleusercontent.com",
        ACCESS_TOKEN_LIFETIME="10m",
        USER_TOKEN_LIFETIME="2d",
        CORS_ALLOWED_ORIGINS="https://labels.example.org",
    )
    assert config["engine"] == "django.db.backends.mysql"
    assert config["name"] == "labels"
    assert config["options"]["charset"] == "utf8mb4"
    assert config["options"]["isolation_level"] == "read committed"
    assert config["layer"] == "channels_redis.core.RedisChannelLayer"
    # Its socket outwaits channels-redis's 5 s blocking reads, so idle websockets are not cut off.
    assert config["layer_hosts"] == [{"address": "redis://redis.example.org:6379/2", "socket_timeout": 30}]
    assert config["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert config["broker"] == "redis://redis.example.org:6379/2"
    assert config["eager"] is False
    assert config["storage"] == "storages.backends.s3.S3Storage"
    assert config["bucket"] == "clips"
    assert config["ssl_redirect"] is True
    assert config["access"] == 600
    assert config["user_token"] == 2 * 86400
    assert config["google_apps"] == ["123.apps.googleusercontent.com"]
    assert config["cors_all"] is False
    assert config["cors"] == ["https://labels.example.org"]


def test_production_without_secret_key_refuses_to_start():
    result = run_python("import django; django.setup()", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_bad_duration_names_the_variable():
    result = run_python("import django; django.setup()", USER_TOKEN_LIFETIME="soon")
    assert result.returncode != 0
    assert "USER_TOKEN_LIFETIME" in result.stderr


@pytest.mark.django_db
def test_cors_preflight_on_seed_api_allows_content_type_and_authorization(client, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://labels.example.org"]
    response = client.options(
        "/api/v1/login",
        HTTP_ORIGIN="https://labels.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, authorization",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://labels.example.org"
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "authorization" in allowed
    foreign = client.options(
        "/api/v1/login", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in foreign


@pytest.mark.django_db
def test_google_sign_in_button_appears_when_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "123.apps.googleusercontent.com", "secret": "s", "key": ""}]}
    }
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Google" in page
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}}
    assert "Sign in with Google" not in client.get("/accounts/login/").content.decode()
