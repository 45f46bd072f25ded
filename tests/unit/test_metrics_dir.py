"""The multi-process metrics folder of ``serve``: one per command, left-overs of killed ones
removed, the operator's own folder emptied."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cdnexport import metrics_dir

CODE = """
import os, sys
from pathlib import Path
from cdnexport import metrics_dir
folder = metrics_dir.prepare(Path(sys.argv[1]))
print(folder)
(folder / "counter_1.db").write_bytes(b"x")
print(sorted(p.name for p in folder.parent.iterdir()))
"""


def run(parent: Path, env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CODE, str(parent)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def test_each_serve_has_its_folder_removed_at_exit_and_dead_ones_are_swept(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != metrics_dir.ENV}
    dead = tmp_path / "serve-999999999"
    dead.mkdir(parents=True)
    (dead / "counter_7.db").write_bytes(b"old")
    alive = tmp_path / f"serve-{os.getpid()}"
    alive.mkdir()
    folder, listing = run(tmp_path, env)
    assert Path(folder).parent == tmp_path
    assert "serve-999999999" not in listing  # its process is gone
    assert alive.name in listing  # this test's process still runs
    assert not Path(folder).exists()  # removed at exit


def test_the_operators_folder_is_emptied_not_removed(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "histogram_3.db").write_bytes(b"old")
    env = {**os.environ, metrics_dir.ENV: str(mine)}
    folder, _ = run(tmp_path / "unused", env)
    assert Path(folder) == mine
    assert [p.name for p in mine.iterdir()] == ["counter_1.db"]


def test_refused_once_the_library_is_loaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", sys.modules[__name__])
    with pytest.raises(RuntimeError, match="before prometheus_client"):
        metrics_dir.prepare(tmp_path)
