"""`python -m stack` with a prerequisite missing: one line saying what and the fix, exit 1,
no traceback, nothing started."""

import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

from tests.support.infra import Infrastructure
from tests.support.servers import free_port
from tests.support.stack import port_offset


def _run_stack(
    infra: Infrastructure, tmp_path: Path, **overrides: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "POSTGRES_URL": urllib.parse.urlsplit(infra.postgres_url)._replace(path="").geturl(),
        "AMQP_URL": infra.amqp_url,
        "GATEWAY_PORT": str(free_port()),
        "SMTP_PORT": str(free_port()),
        "STACK_PORT_OFFSET": str(port_offset()),
        "STACK_STATE_DIR": str(tmp_path / "state"),
        **overrides,
    }
    return subprocess.run(
        [sys.executable, "-m", "stack"], env=env, capture_output=True, text=True, timeout=60
    )


def _closed_port() -> int:
    return free_port()  # free: nothing listens there


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_rabbitmq_not_answering_is_one_line_with_the_fix(
    infra: Infrastructure, tmp_path: Path
) -> None:
    port = _closed_port()
    done = _run_stack(infra, tmp_path, AMQP_URL=f"amqp://guest:secret@127.0.0.1:{port}/")
    line = _one_line(done)
    assert line.startswith(
        f"stack: RabbitMQ does not answer at amqp://guest:***@127.0.0.1:{port}/ "
        "(connection refused): start it"
    )
    assert "rabbitmq-server" in line
    assert line.endswith("or set AMQP_URL")


def test_postgresql_not_answering_is_one_line_with_the_fix(
    infra: Infrastructure, tmp_path: Path
) -> None:
    port = _closed_port()
    done = _run_stack(infra, tmp_path, POSTGRES_URL=f"postgresql://postgres@127.0.0.1:{port}")
    line = _one_line(done)
    assert line.startswith(
        f"stack: PostgreSQL does not answer at postgresql://postgres@127.0.0.1:{port} "
        "(connection refused): start it"
    )
    assert "or set POSTGRES_URL" in line


def test_a_taken_gateway_port_is_one_line_with_the_fix(
    infra: Infrastructure, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run_stack(infra, tmp_path, GATEWAY_PORT=str(port))
    assert _one_line(done) == (
        f"stack: port {port} (the gateway) is taken by another program: "
        "stop it, or set GATEWAY_PORT"
    )
