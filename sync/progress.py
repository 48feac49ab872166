"""A progress bar for large first imports on a terminal (`tasksync run`), fed by `Hooks.progress`."""

from __future__ import annotations

from tqdm import tqdm


class ImportProgress:
    """One tqdm bar per user whose first import is running; `close()` after the pass."""

    def __init__(self, file=None, disable: bool | None = False) -> None:
        self.file = file
        self.disable = disable  # None: only when `file` is a terminal (tqdm's rule)
        self.bars: dict[str, tqdm] = {}

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
            )
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()
