"""The processes under test, started the way an operator starts them: ``cdnexport serve``,
``cdnexport worker`` and, for comparison, the bare endpoint on the same server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import procs
from bench.dataset import Dataset
from cdnexport.config import Settings


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def new_endpoint() -> Endpoint:
    return Endpoint("127.0.0.1", procs.free_port())


def service_env(dataset: Dataset, endpoint: Endpoint, **settings: str) -> dict[str, str]:
    """The ``CDNEXPORT_*`` environment of the bench's deployment, plus ``settings``."""
    base = {
        "CDNEXPORT_DATA_DIR": str(dataset.settings.data_dir),
        "CDNEXPORT_PUBLIC_URL": endpoint.url,
        "CDNEXPORT_URL_SECRET": dataset.settings.url_secret,
        "CDNEXPORT_LOG_LEVEL": "WARNING",
    }
    extra = {f"CDNEXPORT_{name.upper()}": value for name, value in settings.items()}
    return procs.clean_env({**base, **extra})


@contextmanager
def serve(
    env: dict[str, str], endpoint: Endpoint, log_dir: Path, processes: int = 1
) -> Iterator[procs.Child]:
    argv = [str(procs.venv_bin("cdnexport")), "serve", "--host", endpoint.host]
    argv += ["--port", str(endpoint.port), "--processes", str(processes)]
    log = log_dir / f"serve-{endpoint.port}.log"
    with procs.running(argv, env, log, f"{endpoint.url}/healthz") as child:
        yield child


def worker_writer() -> str:
    """The workbook writer ``cdnexport worker`` runs with the bench's settings."""
    field = Settings.model_fields.get("workbook_writer")
    return str(field.default) if field is not None else "xlsxwriter"


@contextmanager
def worker(env: dict[str, str], log_dir: Path) -> Iterator[procs.Child]:
    argv = [str(procs.venv_bin("cdnexport")), "worker"]
    with procs.running(argv, env, log_dir / "worker.log") as child:
        yield child


@contextmanager
def bare(endpoint: Endpoint, log_dir: Path) -> Iterator[procs.Child]:
    argv = [sys.executable, "-m", "bench.bare_app", endpoint.host, str(endpoint.port)]
    env = procs.clean_env({})
    with procs.running(argv, env, log_dir / "bare.log", f"{endpoint.url}/healthz") as child:
        yield child
