"""The console asks who is calling before it reads what they posted (issue 9.8, as
`@authenticates_first` does for the APIs): an anonymous POST to any page that needs a
logged-in admin is sent to the login page, as a GET is, whatever its body (oversized,
garbage, no CSRF token): never a 413, a 422 or a CSRF refusal. The routes come from the
console's route table: a new one is covered without anyone adding it here."""

import re
import uuid
from collections.abc import Iterator

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from services.admin.api.context import admin_caller
from tests.security.test_body_limit import body_limit
from tests.support.servers import RunningServer

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _routes(included.routes)


def _needs_an_admin(dependant: Dependant) -> bool:
    return any(d.call is admin_caller or _needs_an_admin(d) for d in dependant.dependencies)


def admin_form_routes(server: RunningServer) -> list[tuple[str, str]]:
    """(method, path) of every state-changing route a logged-in admin alone may call."""
    return [
        (method, re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path))
        for route in _routes(server.app.routes)
        if _needs_an_admin(route.dependant)
        for method in sorted((route.methods or set()) & UNSAFE)
    ]


def sent_to_login(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_an_anonymous_post_is_sent_to_login_before_its_body_is_read(
    console: RunningServer,
) -> None:
    routes = admin_form_routes(console)
    assert {path for _, path in routes} >= {"/users/new", "/imports"}, routes
    oversized = b"a" * (body_limit(console) + 1)
    bodies = {
        "oversized form": (oversized, "application/x-www-form-urlencoded"),
        "oversized upload": (oversized, "multipart/form-data; boundary=x"),
        "garbage upload": (b"\xff\x00--x\r\nnot a part", "multipart/form-data; boundary=x"),
        "garbage form": (b"\xff\xfe%%%=&&=\x00", "application/x-www-form-urlencoded"),
        "JSON": (b'{"csrf_token": [', "application/json"),
    }
    async with httpx.AsyncClient(base_url=console.url, timeout=60) as anonymous:
        assert sent_to_login(await anonymous.get("/users"))  # the answer to a GET
        for method, path in routes:
            for name, (body, content_type) in bodies.items():
                response = await anonymous.request(
                    method, path, content=body, headers={"Content-Type": content_type}
                )
                what = (method, path, name, response.status_code, response.text[:200])
                assert sent_to_login(response), what
