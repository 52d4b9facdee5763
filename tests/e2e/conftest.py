"""Each end-to-end test runs under a deadline of its own, inside the event loop, shorter
than pytest-timeout's: a call that never answers (a few of Playwright's have no timeout,
e.g. `set_viewport_size`, `new_context`, `close`) then fails with the line it waited on,
instead of pytest-timeout's dump of idle threads."""

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

TEST_DEADLINE_SECONDS = 240
HERE = Path(__file__).parent


def within_deadline(test: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> Any:
        async with asyncio.timeout(TEST_DEADLINE_SECONDS):
            return await test(*args, **kwargs)

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Called with the whole session's items, wherever this conftest is: only this
    folder's tests are given the deadline."""
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and item.path.is_relative_to(HERE)
            and inspect.iscoroutinefunction(item.obj)
        ):
            item.obj = within_deadline(item.obj)
