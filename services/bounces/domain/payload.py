"""Reading a provider's JSON with errors that name the field: `$[2].email: required`."""

import json
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from services.bounces.domain.addresses import normalize_address
from services.bounces.domain.errors import BatchTooLarge, MalformedNotice

ROOT = "$"


def _type_name(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(body: bytes | str, path: str = ROOT) -> Any:
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise MalformedNotice(path, "not UTF-8 text") from None
    except ValueError as error:  # JSONDecodeError is a ValueError
        raise MalformedNotice(path, f"not valid JSON ({error})") from None


def check_body_size(body: bytes, limit: int) -> None:
    if len(body) > limit:
        raise BatchTooLarge(f"the body has {len(body)} bytes, at most {limit}", limit=limit)


def check_event_count(count: int, limit: int) -> None:
    if count > limit:
        raise BatchTooLarge(f"{count} events in one request, at most {limit}", limit=limit)


def event_list(document: Any, *, limit: int, single_allowed: bool) -> list["Fields"]:
    """The events of a body holding an array of objects (or one object, when allowed)."""
    if isinstance(document, dict) and single_allowed:
        return [Fields(document, ROOT)]
    if not isinstance(document, list):
        expected = "an object or an array of objects" if single_allowed else "an array of events"
        raise MalformedNotice(ROOT, f"expected {expected}, got {_type_name(document)}")
    check_event_count(len(document), limit)
    return [as_object(item, f"{ROOT}[{index}]") for index, item in enumerate(document)]


def as_object(value: Any, path: str) -> "Fields":
    if not isinstance(value, dict):
        raise MalformedNotice(path, f"expected an object, got {_type_name(value)}")
    return Fields(value, path)


def _unix_time(seconds: float, path: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedNotice(path, f"{seconds} is not a valid Unix time") from None


def iso_time(text: str, path: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedNotice(path, f"{text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise MalformedNotice(path, f"{text!r} has no time zone")
    return value.astimezone(UTC)


class Fields:
    """A JSON object and where it sits in the payload."""

    __slots__ = ("data", "path")

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _present(self, key: str) -> Any:
        value = self.data.get(key)
        if value is None:
            raise MalformedNotice(self.at(key), "required")
        return value

    def text(self, key: str) -> str:
        """A required, non-empty string."""
        value = self._present(key)
        if not isinstance(value, str):
            raise MalformedNotice(self.at(key), f"expected a string, got {_type_name(value)}")
        if not value.strip():
            raise MalformedNotice(self.at(key), "must not be empty")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise MalformedNotice(self.at(key), f"expected a string, got {_type_name(value)}")
        return value.strip() or None

    def identifier(self, key: str) -> str:
        """A required id given as a string or an integer."""
        value = self._present(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.text(key)

    def optional_identifier(self, key: str) -> str | None:
        return self.identifier(key) if self.has(key) else None

    def number(self, key: str) -> float:
        value = self._present(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MalformedNotice(self.at(key), f"expected a number, got {_type_name(value)}")
        if not math.isfinite(value):
            raise MalformedNotice(self.at(key), "must be a finite number")
        return float(value)

    def optional_number(self, key: str) -> float | None:
        return self.number(key) if self.has(key) else None

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise MalformedNotice(self.at(key), f"expected true or false, got {_type_name(value)}")
        return value

    def object(self, key: str) -> "Fields":
        return as_object(self._present(key), self.at(key))

    def optional_object(self, key: str) -> "Fields | None":
        return self.object(key) if self.has(key) else None

    def array(self, key: str) -> list[Any]:
        value = self._present(key)
        if not isinstance(value, list):
            raise MalformedNotice(self.at(key), f"expected an array, got {_type_name(value)}")
        return value

    def objects(self, key: str) -> Iterator["Fields"]:
        for index, item in enumerate(self.array(key)):
            yield as_object(item, f"{self.at(key)}[{index}]")

    def texts(self, key: str) -> Iterator[tuple[str, str]]:
        """(path, value) of each string of a required array of strings."""
        for index, item in enumerate(self.array(key)):
            path = f"{self.at(key)}[{index}]"
            if not isinstance(item, str) or not item.strip():
                raise MalformedNotice(path, f"expected a non-empty string, got {_type_name(item)}")
            yield path, item

    def address(self, key: str) -> str:
        return address_at(self.text(key), self.at(key))

    def unix_time(self, key: str) -> datetime:
        return _unix_time(self.number(key), self.at(key))

    def iso_time(self, key: str) -> datetime:
        return iso_time(self.text(key), self.at(key))


def address_at(value: str, path: str) -> str:
    try:
        return normalize_address(value)
    except ValueError:
        raise MalformedNotice(path, f"{value!r} is not an e-mail address") from None
