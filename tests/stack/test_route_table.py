"""The route table itself: which prefix belongs to which service, and who answers "/"."""

from stack.proxy import normalised
from stack.services import SERVICES, ServiceSpec, is_hidden, routes


def _table(services: list[ServiceSpec]) -> dict[str, str]:
    return {route.prefix: route.service.name for route in routes(services)}


def test_every_service_has_its_prefixes() -> None:
    assert _table(list(SERVICES)) == {
        "/api/v1/auth": "directory",
        "/api/v1/users": "directory",
        "/api/v1/groups": "directory",
        "/api/v1/custom-fields": "directory",
        "/invite/": "invitations",
        "/api/v1/suppressions": "invitations",
        "/webhooks/email/": "bounces",
        "/api/v1/exports": "exports",
        "/api/v1/hooks": "webhooks",
        "/api/v1/api-keys": "webhooks",
        "/api/v1/me": "webhooks",
        "/api/v1/integrations/": "webhooks",
        "/": "admin",
    }


def test_the_directory_answers_root_until_the_admin_console_exists() -> None:
    without_admin = [s for s in SERVICES if s.name != "admin"]
    assert _table(without_admin)["/"] == "directory"


def test_routes_are_tried_longest_first() -> None:
    prefixes = [route.prefix for route in routes(list(SERVICES))]
    assert prefixes[-1] == "/"
    assert [len(p) for p in prefixes] == sorted((len(p) for p in prefixes), reverse=True)


def test_paths_are_matched_as_nginx_normalises_them() -> None:
    assert normalised("//api//v1/./users/../groups/") == "/api/v1/groups/"
    assert normalised("/invite/abc/..") == "/invite/"
    assert normalised("/") == "/"
    assert normalised("/../etc/passwd") is None
    assert is_hidden("/metrics")
    assert is_hidden("/metrics/x")
    assert not is_hidden("/metricsboard")
