"""What `python -m stack` needs before it starts anything: PostgreSQL and RabbitMQ answering,
its ports free. Each missing piece is one Missing error saying what is wrong and the fix."""

import asyncio
import errno
import logging
import socket
import urllib.parse

import aio_pika
import aiormq.exceptions
import asyncpg

TIMEOUT_SECONDS = 5.0

POSTGRES_FIX = (
    "start it (Debian: apt-get install postgresql; pg_ctlcluster <version> main start) "
    "or set POSTGRES_URL"
)
RABBITMQ_FIX = (
    "start it (Debian: apt-get install rabbitmq-server; rabbitmq-server -detached) or set AMQP_URL"
)


class Missing(Exception):
    """A prerequisite is missing; str() is the one line to print."""


def without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


async def check_postgres(server_url: str) -> None:
    """`server_url` has no database: the stack adds one per service."""
    shown = without_password(server_url)
    try:
        connection = await asyncpg.connect(f"{server_url}/postgres", timeout=TIMEOUT_SECONDS)
    except (OSError, TimeoutError) as error:
        raise Missing(
            f"PostgreSQL does not answer at {shown} ({_reason(error)}): {POSTGRES_FIX}"
        ) from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise Missing(
            f"PostgreSQL refused the connection at {shown} ({_reason(error)}): "
            "set POSTGRES_URL to a user that may create databases"
        ) from None
    await connection.close()


async def check_rabbitmq(url: str) -> None:
    quiet = logging.getLogger("aiormq")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # it logs the failure too; the one line below says it
    try:
        connection = await asyncio.wait_for(
            aio_pika.connect(url, timeout=TIMEOUT_SECONDS), TIMEOUT_SECONDS * 2
        )
    except aiormq.exceptions.ProbableAuthenticationError:
        raise Missing(
            f"RabbitMQ refused the login at {without_password(url)}: "
            "fix the user and password in AMQP_URL"
        ) from None
    except (OSError, TimeoutError) as error:
        raise Missing(
            f"RabbitMQ does not answer at {without_password(url)} ({_reason(error)}): "
            f"{RABBITMQ_FIX}"
        ) from None
    except aiormq.exceptions.AMQPError:
        raise Missing(
            f"RabbitMQ refused the connection to {without_password(url)}: make sure the "
            "virtual host in AMQP_URL exists and the user may use it (rabbitmqctl list_vhosts)"
        ) from None
    finally:
        quiet.setLevel(level)
    await connection.close()


def check_port_free(port: int, what: str, setting: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn and nginx do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise Missing(
                f"port {port} ({what}) is taken by another program: stop it, or set {setting}"
            ) from None


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    if isinstance(error, OSError) and error.errno == errno.ECONNREFUSED:
        return "connection refused"
    return str(error).splitlines()[0] if str(error) else type(error).__name__
