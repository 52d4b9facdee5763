"""Words shown to the admin, kept as English message ids and translated when shown."""

from collections.abc import Mapping
from dataclasses import dataclass, field


def N_(text: str) -> str:  # noqa: N802 - the conventional gettext marker
    """Marks `text` for the catalogues without translating it (it is translated when shown)."""
    return text


@dataclass(frozen=True)
class Message:
    text: str  # a message id (English), with %(name)s placeholders for `params`
    params: Mapping[str, object] = field(default_factory=dict)
