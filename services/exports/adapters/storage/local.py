"""Files in a directory: written beside their place, then renamed into it (a rename is
atomic), so a reader never sees half a file."""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from services.exports.adapters.storage.base import CHUNK_BYTES, StoredFile

PARTIAL_SUFFIX = ".partial"


class DirectoryStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key {key!r} leaves the export directory")
        return path

    async def put(self, key: str, source: Path) -> int:
        return await asyncio.to_thread(self._put, key, source)

    def _put(self, key: str, source: Path) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}")
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target.stat().st_size

    async def read(self, key: str, start: int = 0, end: int | None = None) -> StoredFile:
        path = self._path(key)
        size = (await asyncio.to_thread(path.stat)).st_size
        last = size - 1 if end is None else min(end, size - 1)
        return StoredFile(size, _chunks(path, start, last))

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        for folder in (path.parent, path.parent.parent):
            if folder != self.root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    async def keys(self) -> list[str]:
        if not self.root.exists():
            return []
        found = [p for p in self.root.rglob("*") if p.is_file()]
        return sorted(str(p.relative_to(self.root)) for p in found)


async def _chunks(path: Path, start: int, last: int) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        await asyncio.to_thread(handle.seek, start)
        left = last - start + 1
        while left > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()
