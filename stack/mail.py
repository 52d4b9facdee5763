"""The development mail catcher: an SMTP server that keeps every message it receives as an
.eml file (open it with any mail client) and prints one line per message: who it is to,
its subject and the first link in it (an invitation's link, for instance).

    python -m stack.mail --port 1025 --folder .run/mail
"""

import argparse
import asyncio
import email
import email.policy
import re
import secrets
import signal
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

LINK = re.compile(r"https?://[^\s\"'<>]+")


def first_link(message: EmailMessage) -> str | None:
    """The first link of the text part, else of the HTML part."""
    for subtype in ("plain", "html"):
        part = message.get_body(preferencelist=(subtype,))
        if part is None:
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # an unknown charset, a broken encoding
            continue
        if isinstance(content, str) and (found := LINK.search(content)):
            return found.group(0)
    return None


def summary(raw: bytes, recipients: list[str], saved: Path) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # what policy.default parses into
    subject = str(message.get("Subject", "(no subject)"))
    link = first_link(message) or "(no link)"
    return f"mail to {', '.join(recipients)}: {subject} — {link} (saved as {saved})"


class MailFolder:
    """aiosmtpd handler: each message becomes <folder>/<time>-<random>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content.encode() if isinstance(content, str) else content
        saved = self.folder / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml"
        await asyncio.to_thread(saved.write_bytes, raw)
        print(summary(raw, list(envelope.rcpt_tos), saved), flush=True)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, folder: Path) -> None:
    """Until SIGTERM or SIGINT; `folder` exists."""
    handler = MailFolder(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="stack-mail", enable_SMTPUTF8=True), host, port
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m stack.mail", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--folder", type=Path, default=Path(".run/mail"))
    args = parser.parse_args()
    folder: Path = args.folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, folder))


if __name__ == "__main__":
    main()
