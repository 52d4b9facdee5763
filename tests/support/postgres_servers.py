"""A PostgreSQL server of a test's own, as a fresh install has it (`max_connections` 100),
and a PgBouncer in transaction mode before it: what a connection budget is measured
against, without the other tests' connections on the shared server.

Both refuse to run as root: when the tests run as root they run as `postgres` (the
Debian packages' user), in a folder it owns."""

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.servers import free_port

DEFAULT_MAX_CONNECTIONS = 100  # PostgreSQL's own default
PGBOUNCER = "/usr/sbin/pgbouncer"


def _bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise RuntimeError(f"{tool} not found: apt-get install postgresql")
    return found[-1]


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _own_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    return folder


def _run(command: list[str]) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")


@asynccontextmanager
async def private_postgres() -> AsyncIterator[str]:
    """A new PostgreSQL server with the default settings that matter here; yields the URL
    of its maintenance database (user postgres, trust on 127.0.0.1)."""
    folder = _own_folder("lms-pg-")
    data, port = folder / "data", free_port()
    try:
        initdb = [_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        await asyncio.to_thread(_run, [*initdb, "--no-sync", "-E", "UTF8"])
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder}"
            f" -c max_connections={DEFAULT_MAX_CONNECTIONS} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off"
        )
        start = [_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options]
        await asyncio.to_thread(_run, [*start, "-w", "start"])
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            await asyncio.to_thread(_run, [_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@asynccontextmanager
async def pgbouncer(server_url: str, pool_size: int = 5) -> AsyncIterator[int]:
    """PgBouncer in transaction mode before `server_url`'s server, every database at most
    `pool_size` server connections; yields its port."""
    if shutil.which(PGBOUNCER) is None:
        raise RuntimeError("pgbouncer not found: apt-get install pgbouncer")
    server = urllib.parse.urlsplit(server_url)
    host, server_port = server.hostname, server.port or 5432
    folder, port = _own_folder("lms-pgbouncer-"), free_port()
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={host} port={server_port} user=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmax_client_conn = 500\n"
        f"logfile = {folder / 'log'}\n"
    )
    os.chmod(config, 0o644)
    process = subprocess.Popen(  # noqa: ASYNC220 (started once, waited for in a thread)
        _as_server_user([PGBOUNCER, "--quiet", str(config)]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _until_it_answers(port, process)
        yield port
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 10)
        shutil.rmtree(folder, ignore_errors=True)


async def _until_it_answers(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("pgbouncer did not listen")
