"""What the console's own cookie carries for one browser: the CSRF nonce, the language,
and once logged in, the directory session and a cached access token."""

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Locale = Literal["fr", "en"]
LOCALES: tuple[Locale, ...] = ("fr", "en")
# An access token this close to its expiry is renewed before use.
TOKEN_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class Admin:
    id: str
    email: str
    name: str
    role: str


@dataclass(frozen=True)
class ConsoleSession:
    nonce: str
    locale: Locale
    directory_session: str | None = None  # the directory's session cookie value
    access_token: str | None = None
    token_expires_at: float = 0.0  # seconds since the epoch
    admin: Admin | None = None

    @property
    def logged_in(self) -> bool:
        return self.directory_session is not None and self.admin is not None

    def token_is_fresh(self, now: float) -> bool:
        return self.access_token is not None and now < self.token_expires_at - TOKEN_MARGIN_SECONDS

    def with_token(self, token: str, expires_at: float) -> "ConsoleSession":
        return replace(self, access_token=token, token_expires_at=expires_at)

    def with_locale(self, locale: Locale) -> "ConsoleSession":
        return replace(self, locale=locale)

    def logged_out(self, nonce: str) -> "ConsoleSession":
        """After logout: nothing of the old session, a new CSRF nonce, the same language."""
        return ConsoleSession(nonce=nonce, locale=self.locale)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConsoleSession":
        admin = data.get("admin")
        locale = data.get("locale")
        return cls(
            nonce=str(data["nonce"]),
            locale=locale if locale in LOCALES else "fr",
            directory_session=data.get("directory_session"),
            access_token=data.get("access_token"),
            token_expires_at=float(data.get("token_expires_at", 0.0)),
            admin=Admin(**admin) if isinstance(admin, dict) else None,
        )


def choose_locale(asked: str | None, accept_language: str | None, default: Locale) -> Locale:
    """An explicit choice first, then the browser's preference, then the default."""
    if asked in LOCALES:
        return asked
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return default
