"""One parser per provider: raw body in, notices (or ignored events) out."""

from collections.abc import Callable
from dataclasses import dataclass

from services.bounces.domain.notices import ParseResult, Provider
from services.bounces.domain.providers import generic, mailgun, postmark, sendgrid, ses

Parser = Callable[[bytes], list[ParseResult]]


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_events: int


PARSERS: dict[Provider, Parser] = {
    Provider.SENDGRID: sendgrid.parse,
    Provider.MAILGUN: mailgun.parse,
    Provider.POSTMARK: postmark.parse,
    Provider.SES: ses.parse,
    Provider.GENERIC: generic.parse,
}

LIMITS: dict[Provider, Limits] = {
    Provider.SENDGRID: Limits(sendgrid.MAX_BODY_BYTES, sendgrid.MAX_EVENTS),
    Provider.MAILGUN: Limits(mailgun.MAX_BODY_BYTES, mailgun.MAX_EVENTS),
    Provider.POSTMARK: Limits(postmark.MAX_BODY_BYTES, postmark.MAX_EVENTS),
    Provider.SES: Limits(ses.MAX_BODY_BYTES, ses.MAX_EVENTS),
    Provider.GENERIC: Limits(generic.MAX_BODY_BYTES, generic.MAX_EVENTS),
}
