"""A job's life: published when done, its file removed at expiry; a worker killed in the
middle of a job leaves no file and another finishes the job; two workers never build the
same job."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx

from services.exports.app import create_app
from tests.exports.conftest import Population
from tests.support.bus import BusSpy
from tests.support.exports import (
    ExportsStack,
    export_and_wait,
    exports_settings,
    files_in,
    insert_users,
    own_database_and_vhost,
    read_csv,
    until,
    wait_for_job,
)
from tests.support.infra import Infrastructure
from tests.support.servers import RunningServer, free_port


async def test_done_is_published_and_the_file_expires(population: Population, bus: BusSpy) -> None:
    await population.add([population.make.user()])
    stack = population.stack
    async with stack.admin(population.tenant_id, population.admin_id) as admin:
        job = await export_and_wait(admin, {"format": "csv"})
        completed = await bus.wait_for("export.completed", subject=job["id"])
        assert completed[0].data["row_count"] == 1
        assert completed[0].data["requested_by"] == str(population.admin_id)
        stored = [p for p in files_in(stack.export_dir) if job["id"] in str(p)]
        assert len(stored) == 1
        await stack.sql.execute(  # time passes: the file's day is over
            "UPDATE export_jobs SET expires_at = now() - interval '1 second' WHERE id = $1",
            uuid.UUID(job["id"]),
        )

        async def state() -> str:
            found: str = (await admin.get(f"/api/v1/exports/{job['id']}")).json()["state"]
            return found

        await until(state, lambda s: s == "expired")
        assert not stored[0].exists()
        gone = await admin.get(f"/api/v1/exports/{job['id']}/file")
    assert gone.status_code == 410
    assert "expired" in gone.json()["detail"]


def _service_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.exports"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_a_killed_worker_leaves_no_file_and_the_job_is_done_once(
    infra: Infrastructure, exports_stack: ExportsStack, tmp_path: Path
) -> None:
    tenant, users = uuid.uuid4(), 40_000
    work, stored = tmp_path / "work", tmp_path / "files"
    work.mkdir()
    async with own_database_and_vhost(infra, "killed") as (database_url, amqp_url):
        await insert_users(database_url, tenant, users)
        port = free_port()
        process = _service_process(
            {
                "DATABASE_URL": database_url,
                "AMQP_URL": amqp_url,
                "JWT_PUBLIC_KEY": exports_stack.settings.jwt_public_key,
                "EXPORT_DIR": str(stored),
                "EXPORT_WORK_DIR": str(work),
                "PORT": str(port),
                "EXPORT_LEASE_SECONDS": "2",
                "EXPORT_POLL_SECONDS": "0.2",
                "LOG_LEVEL": "WARNING",
            }
        )
        try:
            admin = exports_stack.admin(tenant)
            admin.base_url = f"http://127.0.0.1:{port}"
            await until(_answers(admin), lambda up: up, within=30)
            started = await admin.post("/api/v1/exports", json={"format": "xlsx"})
            job_id = started.json()["id"]
            await until(_job_state(admin, job_id), lambda s: s == "running", within=30)
            await asyncio.sleep(0.5)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert files_in(stored) == []  # nothing stored, no partial file visible
        assert [p.name.startswith(f"export-{job_id}-") for p in work.iterdir()] == [True]
        settings = exports_settings(
            database_url,
            amqp_url,
            exports_stack.settings.jwt_public_key,
            stored,
            export_lease_seconds=2.0,
            export_work_dir=work,
        )
        server = await RunningServer(create_app(settings)).start()
        try:
            admin.base_url = server.url
            job = await wait_for_job(admin, job_id, within=120)
            assert job["state"] == "done", job
            assert job["attempts"] == 2
            assert job["row_count"] == users
            assert len(files_in(stored)) == 1
            assert list(work.iterdir()) == []  # the killed attempt's files removed
            await admin.aclose()
        finally:
            await server.stop()


def _answers(admin: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        try:
            answer = await admin.get("/api/v1/exports")
        except httpx.TransportError:
            return False
        return answer.status_code == 200

    return probe


def _job_state(admin: httpx.AsyncClient, job_id: str) -> Callable[[], Awaitable[str]]:
    async def probe() -> str:
        state: str = (await admin.get(f"/api/v1/exports/{job_id}")).json()["state"]
        return state

    return probe


async def test_two_workers_build_each_job_once(
    infra: Infrastructure, exports_stack: ExportsStack, tmp_path: Path
) -> None:
    tenant = uuid.uuid4()
    async with own_database_and_vhost(infra, "pair") as (database_url, amqp_url):
        await insert_users(database_url, tenant, 500)
        settings = exports_settings(
            database_url, amqp_url, exports_stack.settings.jwt_public_key, tmp_path
        )
        servers = [await RunningServer(create_app(settings)).start() for _ in range(2)]
        try:
            ids = []
            for number in range(8):
                async with exports_stack.admin(tenant) as admin:
                    admin.base_url = servers[number % 2].url
                    answer = await admin.post("/api/v1/exports", json={"format": "csv"})
                    ids.append(answer.json()["id"])
            async with exports_stack.admin(tenant) as admin:
                admin.base_url = servers[0].url
                jobs = [await wait_for_job(admin, job_id) for job_id in ids]
                content = (await admin.get(f"/api/v1/exports/{ids[0]}/file")).content
        finally:
            for server in servers:
                await server.stop()
        assert {job["state"] for job in jobs} == {"done"}
        assert {job["attempts"] for job in jobs} == {1}
        assert len(files_in(tmp_path)) == len(ids)
        assert len(read_csv(content)) == 501
        connection = await asyncpg.connect(database_url)
        completed = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE routing_key = 'export.completed'"
        )
        await connection.close()
        assert completed == len(ids)
