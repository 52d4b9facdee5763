"""The services the stack runs, their ports and the gateway routes they answer."""

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    routes: tuple[str, ...]  # path prefixes the gateway sends to this service

    @property
    def exists(self) -> bool:
        return importlib.util.find_spec(f"services.{self.name}.__main__") is not None


SERVICES = (
    ServiceSpec(
        "directory",
        8001,
        ("/api/v1/auth", "/api/v1/users", "/api/v1/groups", "/api/v1/custom-fields", "/"),
    ),
    ServiceSpec("invitations", 8002, ("/invite/",)),
    ServiceSpec("bounces", 8003, ("/webhooks/email/",)),
    ServiceSpec("exports", 8004, ("/api/v1/exports",)),
    ServiceSpec("webhooks", 8005, ("/api/v1/hooks", "/api/v1/api-keys")),
)


def available(port_offset: int = 0) -> list[ServiceSpec]:
    """The services implemented so far, with their ports shifted by `port_offset`."""
    return [ServiceSpec(s.name, s.port + port_offset, s.routes) for s in SERVICES if s.exists]
