"""The route table: the services the system runs, their ports and the path prefixes the
gateway sends to each. Both gateways (nginx for the stack and for compose, and the
built-in one) are generated from it; adding a service is one line in SERVICES."""

import importlib.util
from dataclasses import dataclass, replace

# The service that answers every path no other service claims, until a service claims "/"
# itself (the admin console, once services/admin exists).
FALLBACK_SERVICE = "directory"

# Paths the gateway answers 404 itself: never served to the outside, whatever the service.
HIDDEN_PREFIXES = ("/metrics",)

# The gateway's own liveness answer ("ok").
GATEWAY_HEALTH = "/health"

# What a service answers 200 on once its database and broker answer.
READY_PATH = "/readyz"

# Services that reach the others through the gateway (the admin console): they are ready
# only once the gateway is up, so the gateway can't wait for them (nor compose's).
GATEWAY_CLIENTS = ("admin",)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    routes: tuple[str, ...]  # path prefixes the gateway sends to this service

    @property
    def exists(self) -> bool:
        try:
            return importlib.util.find_spec(f"services.{self.name}.__main__") is not None
        except ModuleNotFoundError:  # no services/<name>/ package yet
            return False


SERVICES = (
    ServiceSpec(
        "directory",
        8001,
        ("/api/v1/auth", "/api/v1/users", "/api/v1/groups", "/api/v1/custom-fields"),
    ),
    ServiceSpec("invitations", 8002, ("/invite/", "/api/v1/suppressions")),
    ServiceSpec("bounces", 8003, ("/webhooks/email/",)),
    ServiceSpec("exports", 8004, ("/api/v1/exports",)),
    ServiceSpec(
        "webhooks",
        8005,
        ("/api/v1/hooks", "/api/v1/api-keys", "/api/v1/me", "/api/v1/integrations/"),
    ),
    ServiceSpec("admin", 8006, ("/",)),
)


@dataclass(frozen=True)
class Route:
    prefix: str
    service: ServiceSpec


def available(port_offset: int = 0) -> list[ServiceSpec]:
    """The services implemented so far, with their ports shifted by `port_offset`."""
    return [replace(s, port=s.port + port_offset) for s in SERVICES if s.exists]


def routes(services: list[ServiceSpec]) -> list[Route]:
    """Every prefix of `services`, longest first (the order a prefix match must try them);
    "/" goes to FALLBACK_SERVICE when none of them claims it."""
    table = [Route(prefix, service) for service in services for prefix in service.routes]
    if not any(route.prefix == "/" for route in table):
        fallback = next((s for s in services if s.name == FALLBACK_SERVICE), None)
        if fallback is not None:
            table.append(Route("/", fallback))
    return sorted(table, key=lambda route: (-len(route.prefix), route.prefix))


def is_hidden(path: str) -> bool:
    """True for the paths the gateway never forwards (`path` already normalised)."""
    return any(path == hidden or path.startswith(f"{hidden}/") for hidden in HIDDEN_PREFIXES)
