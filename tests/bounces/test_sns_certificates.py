"""The SNS certificate adapter against a real HTTP server on this machine."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Response

from services.bounces.adapters.sns_certificates import CertificateUnavailable, SnsCertificates
from services.bounces.domain.errors import InvalidKey, NotAuthentic
from tests.support.servers import RunningServer
from tests.unit.bounces.keys import SnsSigner

SIGNER, OTHER = SnsSigner.new(), SnsSigner.new()


class CertificateHost:
    """Serves certificates like sns.<region>.amazonaws.com does, and counts requests."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.app = FastAPI()
        self.app.add_api_route("/{name}", self.serve)

    async def serve(self, name: str) -> Response:
        self.hits.append(name)
        if name == "SimpleNotificationService-good.pem":
            return Response(SIGNER.pem, media_type="application/x-x509-ca-cert")
        if name == "garbage.pem":
            return Response(b"<html>maintenance</html>")
        if name == "huge.pem":
            return Response(b"-" * 200_000)
        if name == "moved.pem":
            return Response(
                status_code=302, headers={"Location": "/SimpleNotificationService-good.pem"}
            )
        return Response(status_code=404)


@pytest.fixture
async def host() -> AsyncIterator[tuple[CertificateHost, str]]:
    served = CertificateHost()
    server = await RunningServer(served.app).start()
    try:
        yield served, server.url
    finally:
        await server.stop()


async def test_a_certificate_is_fetched_once_and_kept(host: tuple[CertificateHost, str]) -> None:
    served, origin = host
    certificates = SnsCertificates(allow_origin_for_tests=origin)
    try:
        url = f"{origin}/SimpleNotificationService-good.pem"
        assert await certificates.for_url(url) == (SIGNER.certificate,)
        assert await certificates.for_url(url) == (SIGNER.certificate,)
        assert served.hits == ["SimpleNotificationService-good.pem"]
    finally:
        await certificates.aclose()


async def test_by_default_only_an_sns_host_is_fetched(host: tuple[CertificateHost, str]) -> None:
    served, origin = host
    certificates = SnsCertificates()
    try:
        with pytest.raises(NotAuthentic, match="is not https"):
            await certificates.for_url(f"{origin}/SimpleNotificationService-good.pem")
        with pytest.raises(NotAuthentic, match="not on an Amazon SNS host"):
            await certificates.for_url("https://sns.us-east-1.amazonaws.com.127.0.0.1.nip.io/c.pem")
        assert served.hits == []
    finally:
        await certificates.aclose()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("missing.pem", "answered 404"),
        ("moved.pem", "answered 302"),  # redirects are not followed
        ("garbage.pem", "not PEM certificates"),
        ("huge.pem", "larger than a certificate"),
    ],
)
async def test_what_is_not_a_certificate_is_unavailable_and_not_kept(
    host: tuple[CertificateHost, str], name: str, why: str
) -> None:
    served, origin = host
    certificates = SnsCertificates(allow_origin_for_tests=origin)
    try:
        for _ in range(2):
            with pytest.raises(CertificateUnavailable, match=why):
                await certificates.for_url(f"{origin}/{name}")
        assert served.hits == [name, name]
    finally:
        await certificates.aclose()


async def test_a_server_that_is_down_is_unavailable() -> None:
    certificates = SnsCertificates(allow_origin_for_tests="http://127.0.0.1:9")
    try:
        with pytest.raises(CertificateUnavailable):
            await certificates.for_url("http://127.0.0.1:9/SimpleNotificationService-good.pem")
    finally:
        await certificates.aclose()


async def test_a_trusted_file_replaces_fetching(
    host: tuple[CertificateHost, str], tmp_path: Path
) -> None:
    served, origin = host
    trusted = tmp_path / "sns.pem"
    trusted.write_bytes(SIGNER.pem + OTHER.pem)
    certificates = SnsCertificates(trusted_file=trusted, allow_origin_for_tests=origin)
    try:
        url = f"{origin}/SimpleNotificationService-good.pem"
        assert await certificates.for_url(url) == (SIGNER.certificate, OTHER.certificate)
        assert served.hits == []
    finally:
        await certificates.aclose()


def test_a_trusted_file_without_certificates_is_refused_at_start(tmp_path: Path) -> None:
    trusted = tmp_path / "sns.pem"
    trusted.write_text("not a certificate")
    with pytest.raises(InvalidKey):
        SnsCertificates(trusted_file=trusted)
