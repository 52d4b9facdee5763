"""Each provider behind one interface, so every test runs for every provider: a valid
request signed with the current or the previous key, and the ways a request goes wrong
(forged, signed with a stranger's key, unsigned, stale)."""

import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from tests.support.bounce_notices import (
    ProviderSecrets,
    Report,
    Signed,
    generic_request,
    mailgun_event_id,
    mailgun_request,
    postmark_event_id,
    postmark_request,
    sendgrid_request,
    ses_event_id,
    ses_request,
)

STALE = timedelta(minutes=6)  # the service's tolerance is 5 minutes


def _readdressed(body: bytes, path: Callable[[object], dict[str, object]]) -> bytes:
    """The body with its first recipient changed, as someone altering it would."""
    document = json.loads(body)
    path(document)["email"] = "attacker@example.com"
    return json.dumps(document).encode()


class Poster:
    name: str
    batches = True  # several events in one request
    message_ids = True  # the provider reports our Message-ID
    signed_time = True  # the request carries a signed time (so it can be stale)

    def __init__(self, secrets: ProviderSecrets) -> None:
        self.secrets = secrets

    def signed(
        self, reports: Sequence[Report], *, key: int = 1, at: datetime | None = None
    ) -> Signed:
        raise NotImplementedError

    def requests(self, reports: Sequence[Report], *, key: int = 1) -> list[Signed]:
        """What the provider posts for these events: one request, or one per event."""
        if self.batches:
            return [self.signed(reports, key=key)]
        return [self.signed([r], key=key) for r in reports]

    def wrong_key(self, reports: Sequence[Report]) -> Signed:
        raise NotImplementedError

    def forged(self, reports: Sequence[Report]) -> Signed:
        raise NotImplementedError

    def unsigned(self, reports: Sequence[Report]) -> Signed:
        raise NotImplementedError

    def stale(self, reports: Sequence[Report]) -> Signed:
        return self.signed(reports, at=datetime.now(UTC) - STALE)

    def event_id(self, report: Report, batch: Sequence[Report] = ()) -> str:
        return report.event_id


class SendGrid(Poster):
    name = "sendgrid"

    def signed(
        self, reports: Sequence[Report], *, key: int = 1, at: datetime | None = None
    ) -> Signed:
        return sendgrid_request(reports, self.secrets.sendgrid[key], signed_at=at)

    def wrong_key(self, reports: Sequence[Report]) -> Signed:
        return sendgrid_request(reports, self.secrets.sendgrid_stranger)

    def forged(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        return Signed(_readdressed(valid.body, lambda d: d[0]), valid.headers)  # type: ignore[index]

    def unsigned(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        return Signed(valid.body, {"Content-Type": "application/json"})


class Mailgun(Poster):
    name = "mailgun"
    batches = False

    def signed(
        self, reports: Sequence[Report], *, key: int = 1, at: datetime | None = None
    ) -> Signed:
        [report] = reports
        return mailgun_request(report, self.secrets.mailgun[key], signed_at=at)

    def wrong_key(self, reports: Sequence[Report]) -> Signed:
        [report] = reports
        return mailgun_request(report, "key-of-someone-else")

    def forged(self, reports: Sequence[Report]) -> Signed:
        """Mailgun signs its token and timestamp (not the event): a token changed after
        signing no longer matches."""
        valid = self.signed(reports)
        document = json.loads(valid.body)
        document["signature"]["token"] = "0" * 50
        return Signed(json.dumps(document).encode(), valid.headers)

    def unsigned(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        document = json.loads(valid.body)
        del document["signature"]
        return Signed(json.dumps(document).encode(), valid.headers)

    def event_id(self, report: Report, batch: Sequence[Report] = ()) -> str:
        return mailgun_event_id(report)


class Postmark(Poster):
    name = "postmark"
    batches = False
    message_ids = False  # Postmark reports its own MessageID, not ours
    signed_time = False  # basic credentials only

    def signed(
        self, reports: Sequence[Report], *, key: int = 1, at: datetime | None = None
    ) -> Signed:
        [report] = reports
        password = self.secrets.postmark_passwords[key]
        return postmark_request(report, self.secrets.postmark_user, password)

    def wrong_key(self, reports: Sequence[Report]) -> Signed:
        [report] = reports
        return postmark_request(report, self.secrets.postmark_user, "not-the-password")

    def forged(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        made_up = base64.b64encode(b"postmark:guess").decode()
        return Signed(valid.body, {**valid.headers, "Authorization": f"Basic {made_up}"})

    def unsigned(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        return Signed(valid.body, {"Content-Type": "application/json"})

    def stale(self, reports: Sequence[Report]) -> Signed:
        raise AssertionError("Postmark's requests carry no signed time")

    def event_id(self, report: Report, batch: Sequence[Report] = ()) -> str:
        return postmark_event_id(report)


class Ses(Poster):
    name = "ses"

    def signed(
        self, reports: Sequence[Report], *, key: int = 1, at: datetime | None = None
    ) -> Signed:
        return ses_request(reports, self.secrets.sns[key], signed_at=at)

    def requests(self, reports: Sequence[Report], *, key: int = 1) -> list[Signed]:
        """SES puts one type of event about one message in a notification."""
        groups: dict[tuple[str, str | None], list[Report]] = {}
        for report in reports:
            groups.setdefault((report.what, report.message_id), []).append(report)
        return [self.signed(group, key=key) for group in groups.values()]

    def wrong_key(self, reports: Sequence[Report]) -> Signed:
        return ses_request(reports, self.secrets.sns_stranger)

    def forged(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        envelope = json.loads(valid.body)
        envelope["Message"] = envelope["Message"].replace(
            reports[0].address, "attacker@example.com"
        )
        return Signed(json.dumps(envelope).encode(), valid.headers)

    def unsigned(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        envelope = json.loads(valid.body)
        del envelope["Signature"]
        return Signed(json.dumps(envelope).encode(), valid.headers)

    def event_id(self, report: Report, batch: Sequence[Report] = ()) -> str:
        same = [r for r in batch if (r.what, r.message_id) == (report.what, report.message_id)]
        return ses_event_id(report, same[0] if same else report)


class Generic(Poster):
    name = "generic"

    def signed(
        self, reports: Sequence[Report], *, key: int = 1, at: datetime | None = None
    ) -> Signed:
        return generic_request(reports, self.secrets.generic[key], signed_at=at)

    def wrong_key(self, reports: Sequence[Report]) -> Signed:
        return generic_request(reports, self.secrets.generic_stranger)

    def forged(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        document = json.loads(valid.body)
        first = document[0] if isinstance(document, list) else document
        first["data"]["email"] = "attacker@example.com"
        return Signed(json.dumps(document).encode(), valid.headers)

    def unsigned(self, reports: Sequence[Report]) -> Signed:
        valid = self.signed(reports)
        kept = {k: v for k, v in valid.headers.items() if k != "webhook-signature"}
        return Signed(valid.body, kept)


POSTERS: dict[str, type[Poster]] = {p.name: p for p in (SendGrid, Mailgun, Postmark, Ses, Generic)}
