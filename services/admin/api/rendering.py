"""Server-rendered pages: Jinja2 (autoescape on) with the i18n extension, dates in the
tenant's zone, numbers in the admin's language."""

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape

from services.admin import i18n
from services.admin.domain import bulk, envelopes, filters, formatting

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def template_environment(zone: ZoneInfo) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        # API bodies may lack an optional key: it shows as nothing, it is not an error.
        undefined=ChainableUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.raw_gettext, i18n.raw_ngettext, newstyle=True
    )

    def moment(value: str | None) -> str:
        return formatting.moment(value, i18n.current_locale(), zone)

    def number(value: int) -> str:
        return formatting.number(value, i18n.current_locale())

    def byte_size(value: int | None) -> str:
        return formatting.byte_size(value, i18n.current_locale())

    env.filters.update(moment=moment, number=number, byte_size=byte_size)
    env.globals.update(
        envelope_of=envelopes.envelope_of,
        STATUSES=filters.STATUSES,
        ROLES=filters.ROLES,
        INVITATION_STATES=filters.INVITATION_STATES,
        EMAIL_STATES=filters.EMAIL_STATES,
        translate=_translate,
        JOB_STATES=bulk.JOB_STATES,
        OUTCOMES=bulk.OUTCOMES,
        ACTION_LABELS=bulk.ACTION_LABELS,
        BULK_ACTIONS=bulk.BULK_ACTIONS,
        percent_done=bulk.percent_done,
        count_lines=bulk.count_lines,
    )
    return env


def _translate(message: Any) -> str:
    """A domain Message (or a bare message id) in the admin's language."""
    if isinstance(message, str):
        return i18n.gettext(message)
    return i18n.gettext(message.text, **dict(message.params))
