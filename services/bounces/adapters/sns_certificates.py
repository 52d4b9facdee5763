"""SNS signing certificates: fetched only from an Amazon SNS host and kept in memory by
URL, or read once from a file of trusted certificates (installs without outbound access,
tests)."""

import asyncio
from pathlib import Path

import httpx
from cryptography import x509

from services.bounces.domain.errors import InvalidKey
from services.bounces.domain.verification.sns import check_signing_cert_url, load_certificates

MAX_CERTIFICATE_BYTES = 64 * 1024  # an SNS certificate is about 2 KB
MAX_CACHED = 32  # SNS signs with one certificate per region at a time


class CertificateUnavailable(Exception):
    """The certificate could not be fetched (network, status, content): worth a retry."""


class SnsCertificates:
    def __init__(
        self,
        *,
        trusted_file: Path | None = None,
        client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 5.0,
        allow_origin_for_tests: str | None = None,
    ) -> None:
        """`allow_origin_for_tests` (e.g. "http://127.0.0.1:8123") lets a test serve the
        certificate itself; nothing but an SNS host is ever fetched without it."""
        self._trusted = load_certificates(trusted_file.read_bytes()) if trusted_file else None
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_seconds)
        self._test_prefix = (
            f"{allow_origin_for_tests.rstrip('/')}/" if allow_origin_for_tests else None
        )
        self._cache: dict[str, tuple[x509.Certificate, ...]] = {}
        self._lock = asyncio.Lock()

    async def for_url(self, url: str) -> tuple[x509.Certificate, ...]:
        """Raises NotAuthentic for a URL that isn't an SNS certificate's, and
        CertificateUnavailable when fetching fails."""
        if self._trusted is not None:
            return self._trusted
        if self._test_prefix is None or not url.startswith(self._test_prefix):
            check_signing_cert_url(url)
        if (cached := self._cache.get(url)) is not None:
            return cached
        async with self._lock:
            if (cached := self._cache.get(url)) is None:
                cached = await self._fetch(url)
                if len(self._cache) >= MAX_CACHED:
                    del self._cache[next(iter(self._cache))]
                self._cache[url] = cached
        return cached

    async def _fetch(self, url: str) -> tuple[x509.Certificate, ...]:
        try:
            async with self._client.stream("GET", url, follow_redirects=False) as response:
                if response.status_code != 200:
                    raise CertificateUnavailable(f"{url} answered {response.status_code}")
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_CERTIFICATE_BYTES:
                        raise CertificateUnavailable(f"{url} is larger than a certificate")
        except httpx.HTTPError as error:
            raise CertificateUnavailable(f"{url}: {error!r}") from error
        try:
            return load_certificates(body)
        except InvalidKey as error:
            raise CertificateUnavailable(f"{url}: {error}") from error

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()
