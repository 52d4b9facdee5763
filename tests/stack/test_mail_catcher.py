"""The stack's development mail catcher: every message kept as an .eml file, one line each."""

import asyncio
import email
import email.policy
import signal
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from tests.support.servers import free_port

LINK = "http://127.0.0.1:8080/invite/Zx9-token_1"


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[tuple[int, Path, subprocess.Popen[str]]]:
    port, folder = free_port(), tmp_path / "mail"
    process = subprocess.Popen(
        [sys.executable, "-m", "stack.mail", "--port", str(port), "--folder", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    yield port, folder, process
    if process.poll() is None:
        process.kill()
        process.wait()


def _invitation() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Acme <no-reply@example.com>"
    message["To"] = "Léa Roy <lea.roy@example.com>"
    message["Subject"] = "Votre invitation à Acme"
    message.set_content(
        f"Bonjour Léa,\n\nAcceptez l'invitation : {LINK}\n\nAutre : http://x.test/2\n"
    )
    message.add_alternative(f'<p><a href="{LINK}">Accepter</a></p>', subtype="html")
    return message


async def _send(port: int, message: EmailMessage) -> None:
    for _ in range(100):
        try:
            await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
            return
        except aiosmtplib.SMTPConnectError:
            await asyncio.sleep(0.05)  # still starting
    raise TimeoutError("the mail catcher did not start")


async def test_each_message_is_an_eml_file_and_one_readable_line(
    catcher: tuple[int, Path, subprocess.Popen[str]],
) -> None:
    port, folder, process = catcher
    assert process.stdout is not None
    html_only = EmailMessage()
    html_only["To"] = "max@example.com"
    html_only["From"] = "no-reply@example.com"
    html_only["Subject"] = "Only HTML"
    html_only.set_content('<a href="https://lms.example.com/reset?t=1">Reset</a>', subtype="html")

    await _send(port, _invitation())
    first = await asyncio.to_thread(process.stdout.readline)
    await _send(port, html_only)
    second = await asyncio.to_thread(process.stdout.readline)

    assert first.startswith("mail to lea.roy@example.com: Votre invitation à Acme — ")
    assert f"— {LINK} (saved as {folder}/" in first
    assert second.startswith(
        "mail to max@example.com: Only HTML — https://lms.example.com/reset?t=1"
    )
    saved = sorted(folder.glob("*.eml"))
    assert len(saved) == 2
    kept = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in saved]
    assert sorted(str(m["Subject"]) for m in kept) == ["Only HTML", "Votre invitation à Acme"]
    invitation = next(m for m in kept if m["To"].addresses[0].username == "lea.roy")
    text = invitation.get_body(preferencelist=("plain",))
    assert text is not None
    assert LINK in text.get_content()

    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 10) == 0
