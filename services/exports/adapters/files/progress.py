"""Progress as rows are written: a callback every N rows (or when a chunk of rows crosses a
multiple of N), and at the end unless just reported."""

from collections.abc import Callable

ProgressCallback = Callable[[int], None]  # called with the number of rows written so far
DEFAULT_PROGRESS_EVERY = 10_000


class Progress:
    def __init__(self, callback: ProgressCallback | None, every: int) -> None:
        if every < 1:
            raise ValueError(f"progress_every must be at least 1, not {every}.")
        self.callback = callback
        self.every = every
        self.rows = 0
        self._reported = -1

    def rows_until_report(self) -> int:
        return self.every - self.rows % self.every

    def add(self, rows: int) -> None:
        before = self.rows
        self.rows += rows
        if self.rows // self.every > before // self.every:
            self._report()

    def finish(self) -> None:
        if self._reported != self.rows:
            self._report()

    def _report(self) -> None:
        self._reported = self.rows
        if self.callback is not None:
            self.callback(self.rows)
