"""The folder of prometheus_client's multi-process files for one ``serve`` command.

Kept apart from ``cdnexport.metrics`` because it must run before prometheus_client is imported:
the library picks its storage when its metrics are defined, from ``PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(parent: Path) -> Path:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty folder that every API process inherits:
    the operator's (emptied of an earlier run's files), or ``parent/serve-<pid>``, removed at
    exit; folders there of ``serve`` commands no longer running (killed, so never cleaned) are
    removed first."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prepare() must run before prometheus_client is imported")
    given = os.environ.get(ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return folder
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob("serve-*"):
        pid = old.name.removeprefix("serve-")
        if not (pid.isascii() and pid.isdigit() and _running(int(pid))):
            shutil.rmtree(old, ignore_errors=True)
    folder = parent / f"serve-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    atexit.register(shutil.rmtree, folder, True)
    os.environ[ENV] = str(folder)
    return folder


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
