"""Structured JSON logs; a correlation id follows a request through messages and services."""

import logging
import sys
import time
import uuid
from contextvars import ContextVar

import structlog

from shared.metrics import LOG_LINES_SUPPRESSED

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def correlation_id() -> str | None:
    return _correlation_id.get()


def bind_correlation_id(value: str | None) -> str:
    """Make `value` (or a new id) the current correlation id, for logs and outgoing events."""
    value = value or uuid.uuid4().hex
    _correlation_id.set(value)
    structlog.contextvars.bind_contextvars(correlation_id=value)
    return value


def clear_context() -> None:
    _correlation_id.set(None)
    structlog.contextvars.clear_contextvars()


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Route structlog and the standard library (uvicorn, faststream, sqlalchemy) to one stream."""
    shared_processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _add_service(service),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler.addFilter(_repeats.setdefault(service, RepeatsSuppressed(service)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "aiormq", "aio_pika"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class RepeatsSuppressed(logging.Filter):
    """The broker clients (aiormq, aio-pika) write a line or two per reconnection attempt:
    a 20 s broker outage made 16 of them, and they grow with the outage (the fault suite,
    tests/faults/test_log_hygiene.py). The first of each line is written, then the same
    line at most once per `window_seconds` (a reminder that it goes on); the repeats are
    counted in `log_lines_suppressed`. The service's own lines are never suppressed."""

    LIBRARIES = ("aiormq", "aio_pika")
    MAX_REMEMBERED = 1000

    def __init__(self, service: str, window_seconds: float = 300.0) -> None:
        super().__init__()
        self._service = service
        self._window = window_seconds
        self._written: dict[tuple[str, str], float] = {}

    def forget(self) -> None:
        self._written.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.LIBRARIES):
            return True
        key, now = (record.name, str(record.msg)), time.monotonic()
        written = self._written.get(key)
        if written is not None and now - written < self._window:
            LOG_LINES_SUPPRESSED.labels(self._service, record.name).inc()
            return False
        if len(self._written) >= self.MAX_REMEMBERED:
            self._written.clear()
        self._written[key] = now
        return True


_repeats: dict[str, RepeatsSuppressed] = {}


def forget_repeated_lines() -> None:
    """The outage is over: the libraries' lines are written again the next time."""
    for repeats in _repeats.values():
        repeats.forget()


def _add_service(service: str) -> structlog.types.Processor:
    def add(_: object, __: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
        event.setdefault("service", service)
        return event

    return add


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
