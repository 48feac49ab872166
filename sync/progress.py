"""A progress bar for large first imports on a terminal (`tasksync run`), fed by `Hooks.progress`."""

from __future__ import annotations

import os
import sys
from typing import IO, Never, TypedDict

from tqdm import tqdm


class _Shape(TypedDict, total=False):
    ncols: int
    nrows: int


def _shape(file: IO[str]) -> _Shape:
    """The terminal's width and height, or 80x24 when it reports 0x0 (a fresh pty does, and tqdm would
    then print nothing)."""
    try:
        size = os.get_terminal_size(file.fileno())
    except (AttributeError, OSError, ValueError):
        return {}  # not a terminal: tqdm decides
    return {"ncols": size.columns or 80, "nrows": size.lines or 24}


class ImportProgress:
    """One tqdm bar per user whose first import is running; `close()` after the pass."""

    def __init__(self, file: IO[str] | None = None, disable: bool | None = False) -> None:
        self.file = file
        self.disable = disable  # None: only when `file` is a terminal (tqdm's rule)
        self.bars: dict[str, tqdm[Never]] = {}

    def __call__(self, user_id: str, done: int, total: int | None) -> None:
        bar = self.bars.get(user_id)
        if bar is None:
            bar = self.bars[user_id] = tqdm(
                total=total,
                desc=f"importing {user_id}",
                unit=" tasks",
                file=self.file,
                disable=self.disable,
                leave=True,
                **_shape(self.file or sys.stderr),
            )
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()
