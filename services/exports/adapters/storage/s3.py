"""Files in an S3-compatible bucket (boto3, its calls run in threads). An upload becomes
visible only when it is complete (S3 objects, multipart ones included, appear whole)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from services.exports.adapters.storage.base import CHUNK_BYTES, StoredFile

MISSING = ("NoSuchKey", "404", "NotFound")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = "exports/"
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


class S3Storage:
    def __init__(self, location: S3Location) -> None:
        self.location = location
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=location.endpoint_url,
            region_name=location.region,
            aws_access_key_id=location.access_key_id,
            aws_secret_access_key=location.secret_access_key,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )

    def _key(self, key: str) -> str:
        return f"{self.location.prefix}{key}"

    async def put(self, key: str, source: Path) -> int:
        await asyncio.to_thread(
            self._client.upload_file, str(source), self.location.bucket, self._key(key)
        )
        return (await asyncio.to_thread(source.stat)).st_size

    async def read(self, key: str, start: int = 0, end: int | None = None) -> StoredFile:
        asked: dict[str, Any] = {"Bucket": self.location.bucket, "Key": self._key(key)}
        if start or end is not None:
            asked["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            answer = await asyncio.to_thread(self._client.get_object, **asked)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                raise FileNotFoundError(key) from error
            raise
        content_range = answer.get("ContentRange")  # "bytes 0-9/1234"
        size = int(content_range.rsplit("/", 1)[1]) if content_range else answer["ContentLength"]
        return StoredFile(size, _chunks(answer["Body"]))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(
            self._client.delete_object, Bucket=self.location.bucket, Key=self._key(key)
        )

    async def keys(self) -> list[str]:
        def listed() -> list[str]:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=self.location.prefix
            )
            prefix = len(self.location.prefix)
            return sorted(o["Key"][prefix:] for page in pages for o in page.get("Contents", []))

        return await asyncio.to_thread(listed)


async def _chunks(body: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(body.read, CHUNK_BYTES):
            yield chunk
    finally:
        body.close()
