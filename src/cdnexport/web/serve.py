"""``cdnexport serve``: one API process with in-process workers, or N API processes under uvicorn's
supervisor with the export workers as threads of the supervisor.

Keeping the workers out of the API processes means a restarted API process never abandons an
export, and ``--export-workers`` counts workers per ``serve`` command whatever N is.
"""

from __future__ import annotations

import logging

import uvicorn

from cdnexport.services import Services
from cdnexport.web.app import create_app
from cdnexport.web.factory import FACTORY
from cdnexport.worker.pool import WorkerPool, lifespan

log = logging.getLogger(__name__)


class ServeError(Exception):
    """The service cannot be served as asked."""


def serve(services: Services, host: str, port: int, processes: int, export_workers: int) -> None:
    """Serve until SIGINT or SIGTERM; stopped workers hand their tasks back.

    More than one API process needs Redis: without it each process would keep its own rate
    limits, and a limit would hold N times over.
    """
    if processes > 1 and not services.settings.redis_url:
        raise ServeError(
            f"--processes {processes} needs CDNEXPORT_REDIS_URL: rate limits are kept per "
            "process without Redis, so they would allow N times the configured rate."
        )
    level = services.settings.log_level.lower()
    if processes == 1:
        background = lifespan(services, export_workers) if export_workers else None
        app = create_app(services, background=background, freeze_heap=True)
        # log_config=None: uvicorn's own lines go through the handler ``logs.configure`` set up.
        uvicorn.run(app, host=host, port=port, log_level=level, access_log=False, log_config=None)
        return
    pool = WorkerPool(services, export_workers)
    pool.start()
    log.info("%s API processes, %s export workers", processes, export_workers)
    try:
        # Each API process builds its own services from the same environment.
        uvicorn.run(
            FACTORY,
            factory=True,
            workers=processes,
            host=host,
            port=port,
            log_level=level,
            access_log=False,
            log_config=None,
        )
    finally:
        pool.shutdown()
