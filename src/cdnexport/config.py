"""Settings: every option of the service, typed and validated once, read from ``CDNEXPORT_*``.

The table in the README is generated from the field descriptions here (``cdnexport settings``),
and a test checks that every field is documented there.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cdnexport.domain.zones import is_zone_name


class Settings(BaseSettings):
    """Configuration of one deployment; a bad value stops the service at start-up."""

    model_config = SettingsConfigDict(env_prefix="CDNEXPORT_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        Path("./cdnexport-data"),
        description="Folder for the SQLite database, exported files and the URL-signing key.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the database; empty means SQLite in `data_dir`.",
    )
    storage_url: str = Field(
        "",
        description=(
            "Where workbooks are stored: `file:///path` or `s3://bucket/prefix` (endpoint, "
            "region and keys from the `AWS_*` variables); empty means `file://<data_dir>/exports`."
        ),
    )
    redis_url: str = Field(
        "",
        description=(
            "Redis URL (`redis://host:6379/0`) for the nonce store and rate limits shared by all "
            "API processes; empty keeps nonces in the database and rate limits in the one API "
            "process (`serve --processes` above 1 then refuses to start)."
        ),
    )
    redis_key_prefix: str = Field(
        "cdnexport:", description="Prefix of every Redis key, so deployments can share a Redis."
    )
    public_url: str = Field(
        "",
        description="Base URL clients reach the service at; download links start with it. "
        "Empty means `http://<host>:<port>` as served.",
    )
    host: str = Field("127.0.0.1", description="Address `cdnexport serve` binds to.")
    port: int = Field(8080, ge=0, le=65535, description="Port `cdnexport serve` listens on.")
    url_secret: str = Field(
        "",
        description="Key that signs download links; empty means a random key kept in `data_dir`.",
    )
    download_ttl_seconds: int = Field(
        3600, ge=60, le=7 * 86400, description="Lifetime of a download link, in seconds."
    )
    time_zone: str = Field(
        "UTC",
        description="Default IANA time zone of workbook times (per task: `TimeZone`), and the "
        "calendar of the usage queries' days and months.",
    )
    rate_limit_per_second: int = Field(
        100,
        ge=1,
        description="Calls per second allowed per account and action, for actions without a "
        "documented limit of their own.",
    )
    request_threads: int = Field(
        8,
        ge=1,
        le=256,
        description="Calls one API process serves at once, each in a thread of its own; more "
        "wait their turn.",
    )
    max_request_bytes: int = Field(
        65_536,
        ge=4096,
        le=16 * 1024 * 1024,
        description="Largest RPC request accepted, query string and body together, in bytes "
        "(larger: `RequestTooLarge`, 413, before the body is read).",
    )
    max_unfinished_tasks: int = Field(
        10, ge=1, description="Unfinished export tasks one account may have at once."
    )
    timestamp_tolerance_seconds: int = Field(
        900, ge=1, description="Allowed clock skew of a signed request, in seconds."
    )
    nonce_ttl_seconds: int = Field(
        900, ge=1, description="How long a SignatureNonce stays used, in seconds."
    )
    access_key_cache_seconds: float = Field(
        2.0,
        ge=0,
        description="How long an API process reuses a looked-up AccessKey; disabling or "
        "enabling a key takes effect within this time (0: look it up on every request).",
    )
    retention_days: int = Field(
        90, ge=1, description="Tasks and their files older than this are purged."
    )
    usage_retention_days: int = Field(
        400,
        ge=32,
        description="PostgreSQL: usage partitions of months older than this, in days, are dropped.",
    )
    worker_threads: int = Field(
        1, ge=0, description="Export workers `cdnexport serve` runs in-process (0: none)."
    )
    lease_seconds: float = Field(
        30.0, gt=0, description="How long a claimed task stays leased without a heartbeat."
    )
    poll_seconds: float = Field(
        0.5,
        gt=0,
        description="How often an idle worker looks for tasks; Create also wakes `serve`'s own.",
    )
    max_attempts: int = Field(
        5, ge=1, description="Attempts (crashes and transient failures) before a task fails."
    )
    retry_base_seconds: float = Field(
        2.0, gt=0, description="First retry delay after a transient failure; doubles each time."
    )
    purge_interval_seconds: float = Field(
        3600.0, gt=0, description="How often a worker runs the retention purge."
    )
    workbook_writer: Literal["fast", "xlsxwriter"] = Field(
        "fast",
        description="Workbook writer: `fast` (streaming, default) or `xlsxwriter` (reference).",
    )
    console_idle_seconds: int = Field(
        1800,
        ge=60,
        description="A web console session ends after this many seconds without a request.",
    )
    console_session_seconds: int = Field(
        43_200,
        ge=300,
        description="A web console session ends this many seconds after sign-in, however used.",
    )
    webhook_retry_base_seconds: float = Field(
        30.0,
        gt=0,
        description="First retry delay of a webhook delivery that failed; doubles each time, "
        "for 24 hours from the event.",
    )
    webhook_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=60,
        description="How long a webhook delivery waits to connect, and then for each read of "
        "the answer; longer counts as a failed attempt.",
    )
    webhook_allow_private: bool = Field(
        False,
        description="Allow webhook URLs on loopback, private, link-local and other non-public "
        "addresses (refused by default, so an account cannot reach the service's own network).",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as text, or as one JSON object each (`json`); both carry the "
        "RequestId and TaskId of the call or export they come from.",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_zone_name(value):
            raise ValueError(f"unknown time zone {value[:64]!r}")
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_urls(self) -> Settings:
        if self.database_url and not self.database_url.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        if self.storage_url and not self.storage_url.startswith(("file://", "s3://")):
            raise ValueError("storage_url must be a file:// or s3:// URL")
        if self.storage_url.startswith("s3://") and not self.s3_location[0]:
            raise ValueError("storage_url s3://bucket/prefix needs a bucket")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cdnexport.db').resolve()}"

    @property
    def base_url(self) -> str:
        """``public_url``, or the address served when it is empty."""
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def s3_location(self) -> tuple[str, str]:
        """Bucket and key prefix (empty or ending in ``/``) of an ``s3://`` storage URL."""
        bucket, _, prefix = self.storage_url.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        return bucket, f"{prefix}/" if prefix else ""

    @property
    def exports_dir(self) -> Path:
        """Folder of the local file store (unused with S3)."""
        if self.storage_url.startswith("file://"):
            return Path(self.storage_url.removeprefix("file://"))
        return self.data_dir / "exports"

    def effective_url_secret(self) -> bytes:
        """The URL-signing key: configured, or created once and kept in the data folder."""
        if self.url_secret:
            return self.url_secret.encode()
        path = self.data_dir / "url-secret"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: when API and worker processes start together, exactly one writes the key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key.encode()
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty")
