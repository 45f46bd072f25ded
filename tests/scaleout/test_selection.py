"""Settings select the scale-out parts (S3 storage, Redis guards); bad values stop start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError

from cdnexport.cache.redis_nonces import RedisNonceStore
from cdnexport.cache.redis_ratelimit import RedisRateLimiter
from cdnexport.clock import ManualClock
from cdnexport.cluster import ClusterError, LocalCluster, free_port
from cdnexport.config import Settings
from cdnexport.db.nonces import DbNonceStore
from cdnexport.ratelimit import TokenBucketLimiter
from cdnexport.storage.local import LocalBlobStore
from cdnexport.storage.s3 import S3BlobStore
from tests.scaleout.backing import REDIS_ENV, required_url
from tests.support import make_services


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://exports", "exports", ""),
        ("s3://exports/", "exports", ""),
        ("s3://exports/cdn/eu/", "exports", "cdn/eu/"),
    ],
)
def test_s3_storage_url(url: str, bucket: str, prefix: str) -> None:
    assert Settings(storage_url=url).s3_location == (bucket, prefix)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("storage_url", "s3://"),
        ("storage_url", "gs://bucket"),
        ("redis_url", "http://127.0.0.1:6379"),
        ("usage_retention_days", "10"),
    ],
)
def test_bad_scaleout_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({field: value})


def test_embedded_default_keeps_local_files_and_nonces_in_the_database(tmp_path: Path) -> None:
    services = make_services(tmp_path, ManualClock(0))
    assert isinstance(services.store, LocalBlobStore)
    assert isinstance(services.nonces, DbNonceStore)
    assert isinstance(services.limiter, TokenBucketLimiter)
    services.db.dispose()


def test_s3_and_redis_settings_select_their_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_url = required_url(REDIS_ENV)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    services = make_services(
        tmp_path,
        ManualClock(0),
        storage_url="s3://exports/cdn",
        redis_url=redis_url,
        redis_key_prefix="sel-test:",
    )
    store = services.store
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("exports", "cdn/")
    url, _ = store.download_url("1/2.xlsx", "a.xlsx", 0, 60)
    assert url.startswith("http://127.0.0.1:9/exports/cdn/1/2.xlsx?")
    assert "eu-west-1" in url  # the region of AWS_REGION signs the link
    assert isinstance(services.nonces, RedisNonceStore)
    assert isinstance(services.limiter, RedisRateLimiter)
    services.db.dispose()


def test_an_unreachable_redis_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(RedisConnectionError):
        make_services(tmp_path, ManualClock(0), redis_url=f"redis://127.0.0.1:{free_port()}/0")


def test_cluster_needs_postgresql_and_redis(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="CDNEXPORT_DATABASE_URL"):
        LocalCluster(tmp_path, {}).start()
    with pytest.raises(ClusterError, match="CDNEXPORT_REDIS_URL"):
        LocalCluster(tmp_path, {"CDNEXPORT_DATABASE_URL": "postgresql://x/y"}).start()
