"""Fixtures of the contract tests: one live server per configuration, clients per SDK mode.

Set ``CDNEXPORT_CONTRACT_DATABASE_URL`` to a PostgreSQL URL to run everything against it too
(a fresh schema per session); set ``CDNEXPORT_CONTRACT_REDIS_URL`` as well to run it against the
scale-out shape instead: PostgreSQL, Redis, nanio as S3, two API processes and two workers.
Under CI (``CI`` set) both must be set: the scale-out run is required there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack

import pytest

from tests.contract.deployment import Deployment, provision
from tests.contract.sdk import MODES, CdnClient, Mode, make_client
from tests.contract.server import LiveServer, ServerConfig
from tests.scaleout.deployments import postgresql_backing, scaleout_backing


def _server_configs() -> list[ServerConfig]:
    configs = [ServerConfig("sqlite")]
    url = os.environ.get("CDNEXPORT_CONTRACT_DATABASE_URL", "")
    redis = os.environ.get("CDNEXPORT_CONTRACT_REDIS_URL", "")
    if os.environ.get("CI") and not (url and redis):
        raise RuntimeError(
            "CI must run the scale-out contract tests: set CDNEXPORT_CONTRACT_DATABASE_URL "
            "and CDNEXPORT_CONTRACT_REDIS_URL"
        )
    if url and redis:
        configs.append(
            ServerConfig(
                "scaleout",
                serve_args=("--processes", "2", "--export-workers", "2"),
                backing=lambda work_dir: scaleout_backing(url, redis, work_dir),
            )
        )
    elif url:
        configs.append(
            ServerConfig("postgresql", backing=lambda _work_dir: postgresql_backing(url))
        )
    return configs


@pytest.fixture(scope="session", params=_server_configs(), ids=lambda config: config.name)
def server_config(request: pytest.FixtureRequest) -> ServerConfig:
    config: ServerConfig = request.param
    return config


@pytest.fixture(scope="session")
def deployment(
    server_config: ServerConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    work_dir = tmp_path_factory.mktemp(f"contract-{server_config.name}")
    with ExitStack() as stack:
        backing = None
        if server_config.backing is not None:
            backing = stack.enter_context(server_config.backing(work_dir / "backing"))
        server = LiveServer(work_dir / "data", server_config, backing)
        try:
            deployed = provision(server, work_dir, int(time.time()))
            server.start()
            yield deployed
        finally:
            server.stop()


@pytest.fixture(scope="session", params=MODES)
def mode(request: pytest.FixtureRequest) -> Mode:
    value: Mode = request.param
    return value


@pytest.fixture(scope="session")
def connect(deployment: Deployment, mode: Mode) -> Callable[[str, str], CdnClient]:
    """Builds a client of the current mode from an AccessKey id and secret."""

    def build(access_key_id: str, secret: str) -> CdnClient:
        return make_client(mode, deployment.server.endpoint, access_key_id, secret)

    return build


@pytest.fixture(scope="session")
def alice(deployment: Deployment, connect: Callable[[str, str], CdnClient]) -> CdnClient:
    return connect(deployment.alice.access_key_id, deployment.alice.access_key_secret)


@pytest.fixture(scope="session")
def bob(deployment: Deployment, connect: Callable[[str, str], CdnClient]) -> CdnClient:
    return connect(deployment.bob.access_key_id, deployment.bob.access_key_secret)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the server's log to every failed test that used the live server."""
    report = yield
    deployed = getattr(item, "funcargs", {}).get("deployment")
    if report.failed and isinstance(deployed, Deployment):
        report.sections.append(("cdnexport server log (tail)", deployed.server.log_tail()))
    return report
