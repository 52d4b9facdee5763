"""The storage interface the use cases see."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class StoredFile:
    size: int
    chunks: AsyncIterator[bytes]  # the bytes asked for (all, or one range)


class FileStorage(Protocol):
    async def put(self, key: str, source: Path) -> int:
        """Store the file under `key` whole or not at all (never a partial file); its size."""
        ...

    async def read(self, key: str, start: int = 0, end: int | None = None) -> StoredFile:
        """The bytes from `start` to `end` (inclusive; None: the end of the file).
        FileNotFoundError when nothing is stored under `key`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the file (nothing to do if it is gone)."""
        ...

    async def keys(self) -> list[str]:
        """Every stored key (tests, operators)."""
        ...
