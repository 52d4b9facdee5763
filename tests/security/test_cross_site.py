"""A change made with the session cookie must come from the application's own pages
(issue 9.10): another origin, or a browser saying the request is cross-site, is refused
even when the cookie goes along (SameSite is not the only guard)."""

import pytest

from tests.support.directory import Lms, problem


async def deactivate(lms: Lms, user_id: str, headers: dict[str, str]) -> int:
    response = await lms.admin.post(
        f"/api/v1/users/{user_id}/deactivate",
        content=b'{"reason": "x"}',
        headers={"Content-Type": "text/plain", **headers},
    )
    if response.status_code >= 400:
        problem(response, response.status_code)
    return response.status_code


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example.com"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.lms.example.com"},
    ],
)
async def test_a_cross_site_change_with_the_cookie_is_refused(
    lms: Lms, headers: dict[str, str]
) -> None:
    user = await lms.invite()
    assert await deactivate(lms, user["id"], headers) == 403
    assert (await lms.profile(user["id"]))["status"] == "invited"


async def test_the_applications_own_pages_still_work(lms: Lms) -> None:
    user = await lms.invite()
    host = lms.admin.base_url.netloc.decode()
    own = {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    response = await lms.admin.post(f"/api/v1/users/{user['id']}/deactivate", headers=own)
    assert response.status_code == 200, response.text
