"""Confirming an SNS subscription: one GET of its SubscribeURL, only on an SNS host."""

import httpx

from services.bounces.domain.verification.sns import check_subscribe_url


class ConfirmationFailed(Exception):
    """SNS did not answer the confirmation as expected (worth retrying)."""


class SnsSubscriptions:
    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 10.0,
        allow_origin_for_tests: str | None = None,
    ) -> None:
        """`allow_origin_for_tests` (e.g. "http://127.0.0.1:8123") lets a test stand for
        SNS; without it nothing but an SNS host over https is ever called."""
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_seconds)
        self._test_prefix = (
            f"{allow_origin_for_tests.rstrip('/')}/" if allow_origin_for_tests else None
        )

    async def confirm(self, subscribe_url: str) -> None:
        if self._test_prefix is None or not subscribe_url.startswith(self._test_prefix):
            check_subscribe_url(subscribe_url)
        try:
            response = await self._client.get(subscribe_url, follow_redirects=False)
        except httpx.HTTPError as error:
            raise ConfirmationFailed(f"SNS did not answer: {error!r}") from error
        if response.status_code != 200:
            raise ConfirmationFailed(f"SNS answered {response.status_code}")

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()
