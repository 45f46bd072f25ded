"""Progress of an ingestion run: the protocol the ingester reports to, and a bar for terminals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import PurePath
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as RichProgress


class Progress(Protocol):
    def file_started(self, name: str) -> None:
        """A file is about to be read."""
        ...

    def advanced(self, nbytes: int) -> None:
        """``nbytes`` more bytes of the files (as stored on disk) have been read."""
        ...


class NoProgress:
    """Reports nowhere: for tests, scripts, and output that is not a terminal."""

    def file_started(self, name: str) -> None:
        pass

    def advanced(self, nbytes: int) -> None:
        pass


class _Bar:
    def __init__(self, bar: RichProgress, task: TaskID) -> None:
        self._bar = bar
        self._task = task

    def file_started(self, name: str) -> None:
        self._bar.update(self._task, description=PurePath(name).name)

    def advanced(self, nbytes: int) -> None:
        self._bar.advance(self._task, nbytes)


@contextmanager
def terminal_progress(total_bytes: int, stream: TextIO) -> Iterator[Progress]:
    """A progress bar over ``total_bytes`` drawn on ``stream``, removed when the run ends."""
    columns = (
        TextColumn("{task.description}", style="bold"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with RichProgress(*columns, console=Console(file=stream), transient=True) as bar:
        yield _Bar(bar, bar.add_task("reading", total=total_bytes))


def progress_for(stream: TextIO, total_bytes: int) -> AbstractContextManager[Progress]:
    """A bar on ``stream`` when it is a terminal, else no progress output at all."""
    if stream.isatty():
        return terminal_progress(total_bytes, stream)
    return nullcontext(NoProgress())
