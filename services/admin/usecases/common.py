"""What every use case of the console works with: the API, as the logged-in admin."""

from dataclasses import dataclass
from typing import Any

from services.admin.adapters.api_client import ApiAnswer, ApiClient, Params


@dataclass(frozen=True)
class Caller:
    """The API client and the admin's access token: every call is made as the admin."""

    api: ApiClient
    token: str

    async def get(self, path: str, params: Params = None, *, absent_on_404: bool = False) -> Any:
        answer = await self.api.call(
            "GET", path, token=self.token, params=params, absent_on_404=absent_on_404
        )
        return answer.body

    async def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        absent_on_404: bool = False,
    ) -> ApiAnswer:
        return await self.api.call(
            method, path, token=self.token, json=body, headers=headers, absent_on_404=absent_on_404
        )
