"""What every export file writer shares: the file is kept by close() and given up by abort(),
and a `with` block calls the one or the other."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class FileWriter(ABC):
    @abstractmethod
    def close(self) -> int:
        """Finishes the file; the number of data rows written."""

    @abstractmethod
    def abort(self) -> None:
        """Stops without leaving a file behind."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is None:
            self.close()
        else:
            self.abort()
