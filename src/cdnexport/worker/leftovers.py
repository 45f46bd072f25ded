"""Each attempt writes in a folder of its own under ``data/tmp``; a worker killed mid-export
leaves its folder behind. Such folders are removed when a worker starts (every folder no live
attempt owns), at each purge, and when a task is claimed again (its earlier attempts' folders)."""

from __future__ import annotations

import logging
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Final

from sqlalchemy import Connection

from cdnexport.db import queue

log = logging.getLogger(__name__)
# "<task id>-<attempt>-<random>": what ``attempt_dir`` names (older versions wrote files so
# named, with the file's extension).
_NAME: Final = re.compile(r"(\d+)-(\d+)-[0-9a-f]+(?:\.[a-z]+)*")


def attempt_dir(tmp_dir: Path, task_id: int, attempt: int) -> Path:
    """A new, empty folder for one attempt's files."""
    path = tmp_dir / f"{task_id}-{attempt}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def sweep(conn: Connection, tmp_dir: Path, now: int, min_age: float) -> int:
    """Remove what no live attempt owns; entries of another kind only once older than
    ``min_age`` seconds. Returns how many entries were removed."""
    if not tmp_dir.is_dir():
        return 0
    entries = list(tmp_dir.iterdir())
    owners = {entry: _parse(entry.name) for entry in entries}
    live = queue.live_attempts(conn, {o[0] for o in owners.values() if o is not None}, now)
    removed = 0
    for entry, owner in owners.items():
        if owner is not None and live.get(owner[0]) == owner[1]:
            continue
        if owner is None and _age(entry) < min_age:
            continue
        _remove(entry)
        removed += 1
    if removed:
        log.info("removed %s leftover file(s) of interrupted exports from %s", removed, tmp_dir)
    return removed


def remove_earlier(tmp_dir: Path, task_id: int, attempt: int) -> None:
    """Remove the folders of the task's attempts before ``attempt`` (their workers died)."""
    if attempt <= 1 or not tmp_dir.is_dir():
        return
    for entry in tmp_dir.glob(f"{task_id}-*"):
        owner = _parse(entry.name)
        if owner is not None and owner[0] == task_id and owner[1] < attempt:
            _remove(entry)
            log.info("task %s: removed the files of interrupted attempt %s", task_id, owner[1])


def _parse(name: str) -> tuple[int, int] | None:
    found = _NAME.fullmatch(name)
    return (int(found[1]), int(found[2])) if found else None


def _age(entry: Path) -> float:
    try:
        return time.time() - entry.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)
