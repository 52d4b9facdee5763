"""The pages' HTML (Jinja2, autoescaped) and the headers every page sends."""

import base64
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.invitations.i18n import PAGE_TEXTS, Language

HERE = Path(__file__).parent
CSS = (HERE / "static" / "invite.css").read_text()


def _csp() -> str:
    css_hash = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src 'sha256-{css_hash}'",
            "img-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


PAGE_HEADERS = {
    "Content-Security-Policy": _csp(),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class PageRenderer:
    def __init__(self, public_url: str) -> None:
        self.public_url = public_url.rstrip("/")
        self._env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
        )

    def link(self, token: str, language: Language | None = None) -> str:
        """Built from PUBLIC_URL, never from the request's Host header."""
        url = f"{self.public_url}/invite/{quote(token, safe='')}"
        return f"{url}?lang={language}" if language else url

    def message_text(self, language: Language, key: str) -> str:
        return PAGE_TEXTS[language][key]

    def page(
        self,
        template: str,
        *,
        language: Language,
        token: str,
        status: int,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        other: Language = "en" if language == "fr" else "fr"
        html = self._env.get_template(template).render(
            language=language,
            other_language=other,
            switch_url=self.link(token, other),
            t=PAGE_TEXTS[language],
            css=CSS,
            **context,
        )
        return HTMLResponse(html, status, headers={**PAGE_HEADERS, **(headers or {})})

    def message(
        self,
        key: str,
        *,
        language: Language,
        token: str,
        status: int,
        button: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """A page that only says something: `key` names its title and text."""
        texts = PAGE_TEXTS[language]
        return self.page(
            "message.html",
            language=language,
            token=token,
            status=status,
            headers=headers,
            heading=texts[f"{key}_title"],
            text=texts[key].format(**values),
            button_url=button[0] if button else None,
            button_label=button[1] if button else None,
        )
