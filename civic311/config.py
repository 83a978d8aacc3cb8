"""Configuration, read once from environment variables.

Every setting has a default that runs the embedded mode: SQLite in the instance folder, attachments on
local disk, jobs inline, mail to the log. docs/configuration.md lists them all.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    instance_path: Path
    database_url: str = ""
    migration_database_url: str = ""
    redis_url: str = ""
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    smtp_url: str = ""
    mail_from: str = "civic311 <no-reply@civic311.test>"
    sms_url: str = ""
    geocoder_url: str = ""
    platform_domain: str = "localhost"
    preferred_scheme: str = "http"
    secret_key: str = ""
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    upload_dir: Path = field(default_factory=Path)
    max_upload_mb: int = 10
    session_minutes: int = 480
    login_attempts_per_15min: int = 10
    secure_cookies: bool = False

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def flask_config(self) -> dict:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "MAX_CONTENT_LENGTH": (self.max_upload_mb * 6 + 1) * 1024 * 1024,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "PREFERRED_URL_SCHEME": self.preferred_scheme,
            "WTF_CSRF_TIME_LIMIT": None,
            "GEOCODER_URL": self.geocoder_url,
            "CIVIC311": self,
        }


def _secret_key(instance_path: Path) -> str:
    """A stable key for the embedded mode, kept in the instance folder so sessions survive restarts."""
    explicit = _env("SECRET_KEY")
    if explicit:
        return explicit
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
    return key_file.read_text().strip()


def _normalise_db_url(url: str) -> str:
    # psycopg 3 is the driver; accept the plain scheme people paste from their hosting provider.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(instance_path: str | Path, overrides: dict | None = None) -> Settings:
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    overrides = overrides or {}
    database_url = _normalise_db_url(
        overrides.get("database_url") or _env("DATABASE_URL") or f"sqlite:///{instance / 'civic311.sqlite'}"
    )
    settings = Settings(
        instance_path=instance,
        database_url=database_url,
        migration_database_url=_normalise_db_url(
            overrides.get("migration_database_url") or _env("MIGRATION_DATABASE_URL") or database_url
        ),
        redis_url=overrides.get("redis_url", _env("REDIS_URL")),
        s3_bucket=overrides.get("s3_bucket", _env("S3_BUCKET")),
        s3_endpoint_url=overrides.get("s3_endpoint_url", _env("S3_ENDPOINT_URL")),
        s3_region=_env("S3_REGION", "us-east-1"),
        smtp_url=overrides.get("smtp_url", _env("SMTP_URL")),
        mail_from=_env("MAIL_FROM", "civic311 <no-reply@civic311.test>"),
        sms_url=overrides.get("sms_url", _env("SMS_URL")),
        geocoder_url=overrides.get("geocoder_url", _env("GEOCODER_URL")),
        platform_domain=overrides.get("platform_domain", _env("PLATFORM_DOMAIN", "localhost")).lower(),
        preferred_scheme=_env("PREFERRED_URL_SCHEME", "http"),
        secret_key=overrides.get("secret_key") or _secret_key(instance),
        stripe_api_key=overrides.get("stripe_api_key", _env("STRIPE_API_KEY")),
        stripe_webhook_secret=overrides.get("stripe_webhook_secret", _env("STRIPE_WEBHOOK_SECRET")),
        stripe_api_base=overrides.get("stripe_api_base", _env("STRIPE_API_BASE")),
        upload_dir=Path(overrides.get("upload_dir") or _env("UPLOAD_DIR") or instance / "uploads"),
        max_upload_mb=_env_int("MAX_UPLOAD_MB", 10),
        session_minutes=_env_int("SESSION_MINUTES", 480),
        login_attempts_per_15min=_env_int("LOGIN_ATTEMPTS_PER_15MIN", 10),
        secure_cookies=_env_bool("SECURE_COOKIES", _env("PREFERRED_URL_SCHEME", "http") == "https"),
    )
    return settings
