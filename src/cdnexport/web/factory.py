"""The app factory the API processes of ``cdnexport serve --processes N`` import by name.

Each process builds its own services from the ``CDNEXPORT_*`` environment: database pools,
Redis clients and S3 clients are not shared across processes.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from cdnexport import logs
from cdnexport.config import Settings
from cdnexport.services import build_services
from cdnexport.web.app import create_app

#: The import string uvicorn's worker processes load (``factory=True``).
FACTORY = "cdnexport.web.factory:app_from_env"


def app_from_env() -> ASGIApp:
    """An API-only app (export workers run elsewhere) configured from the environment."""
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    return create_app(build_services(settings), freeze_heap=True)
