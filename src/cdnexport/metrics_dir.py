"""The folder of prometheus_client's multi-process files for one ``serve`` command.

Kept apart from ``cdnexport.metrics`` because it must run before prometheus_client is imported:
the library picks its storage when its metrics are defined, from ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare() -> Path:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty folder (the operator's, emptied of an
    earlier run's files, or a temporary one removed at exit), inherited by every API process."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prepare() must run before prometheus_client is imported")
    given = os.environ.get(ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        folder = Path(tempfile.mkdtemp(prefix="cdnexport-metrics-"))
        atexit.register(shutil.rmtree, folder, True)
        os.environ[ENV] = str(folder)
    return folder
