"""The S3 backend, against a local S3-compatible server (moto in server mode, in-process on
127.0.0.1): files stored in the bucket, downloaded (ranges too), removed at expiry."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import pytest
from moto.server import ThreadedMotoServer

from services.exports.app import create_app
from tests.support.exports import (
    ExportsStack,
    export_and_wait,
    exports_settings,
    insert_users,
    own_database_and_vhost,
    read_csv,
    until,
)
from tests.support.infra import Infrastructure
from tests.support.servers import RunningServer, free_port

BUCKET = "lms-exports"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test-secret"}


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client(url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def client(url: str) -> Any:
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", **CREDENTIALS)


def stored_keys(url: str) -> list[str]:
    listed = client(url).list_objects_v2(Bucket=BUCKET, Prefix="exports/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_files_go_to_the_bucket_and_leave_it_at_expiry(
    infra: Infrastructure, exports_stack: ExportsStack, s3_url: str, tmp_path: Path
) -> None:
    tenant = uuid.uuid4()
    async with own_database_and_vhost(infra, "s3") as (database_url, amqp_url):
        await insert_users(database_url, tenant, 250)
        settings = exports_settings(
            database_url,
            amqp_url,
            exports_stack.settings.jwt_public_key,
            tmp_path / "unused",
            export_storage="s3",
            export_s3_bucket=BUCKET,
            export_s3_endpoint_url=s3_url,
            export_s3_region="us-east-1",
            export_s3_access_key_id=CREDENTIALS["aws_access_key_id"],
            export_s3_secret_access_key=CREDENTIALS["aws_secret_access_key"],
        )
        server = await RunningServer(create_app(settings)).start()
        try:
            async with exports_stack.admin(tenant) as admin:
                admin.base_url = server.url
                job = await export_and_wait(admin, {"format": "csv", "delimiter": ","})
                assert job["state"] == "done", job
                keys = await asyncio.to_thread(stored_keys, s3_url)
                assert len(keys) == 1
                assert job["id"] in keys[0]
                whole = (await admin.get(f"/api/v1/exports/{job['id']}/file")).content
                assert len(read_csv(whole, ",")) == 251
                part = await admin.get(
                    f"/api/v1/exports/{job['id']}/file", headers={"Range": "bytes=0-99"}
                )
                assert part.status_code == 206
                assert part.content == whole[:100]
                sql = await asyncpg.connect(database_url)
                await sql.execute(
                    "UPDATE export_jobs SET expires_at = now() WHERE id = $1", uuid.UUID(job["id"])
                )
                await sql.close()

                async def remaining() -> list[str]:
                    return [
                        k for k in await asyncio.to_thread(stored_keys, s3_url) if job["id"] in k
                    ]

                await until(remaining, lambda found: found == [])
                assert (await admin.get(f"/api/v1/exports/{job['id']}/file")).status_code == 410
            assert not (tmp_path / "unused").exists()
        finally:
            await server.stop()


async def test_a_build_that_keeps_failing_is_failed_with_the_reason(
    infra: Infrastructure, exports_stack: ExportsStack, s3_url: str, tmp_path: Path
) -> None:
    tenant = uuid.uuid4()
    async with own_database_and_vhost(infra, "s3_missing") as (database_url, amqp_url):
        await insert_users(database_url, tenant, 10)
        settings = exports_settings(
            database_url,
            amqp_url,
            exports_stack.settings.jwt_public_key,
            tmp_path,
            export_storage="s3",
            export_s3_bucket="no-such-bucket",
            export_s3_endpoint_url=s3_url,
            export_s3_region="us-east-1",
            export_s3_access_key_id=CREDENTIALS["aws_access_key_id"],
            export_s3_secret_access_key=CREDENTIALS["aws_secret_access_key"],
            export_max_attempts=2,
        )
        server = await RunningServer(create_app(settings)).start()
        try:
            async with exports_stack.admin(tenant) as admin:
                admin.base_url = server.url
                job = await export_and_wait(admin, {"format": "csv"})
                file = await admin.get(f"/api/v1/exports/{job['id']}/file")
        finally:
            await server.stop()
        assert job["state"] == "failed"
        assert job["attempts"] == 2
        assert "NoSuchBucket" in job["error"]
        assert file.status_code == 409
        connection = await asyncpg.connect(database_url)
        failed = await connection.fetch(
            "SELECT body FROM outbox WHERE routing_key = 'export.failed'"
        )
        await connection.close()
        assert len(failed) == 1
        assert job["id"] in failed[0]["body"]
