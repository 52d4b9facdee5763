"""The nginx gateway's configuration, generated from the route table (stack/services.py)
for `python -m stack` and for compose (deploy/nginx.conf):

    uv run python -m stack.gateway > deploy/nginx.conf

X-Forwarded-For is set to the address nginx sees, replacing whatever the client sent: the
services trust it from the gateway's address only (uvicorn's FORWARDED_ALLOW_IPS). In
compose, a gateway client (the admin console, which logs in for the browser) has a fixed
address: from it, the gateway keeps the X-Forwarded-For it sent (the browser's address) and
appends its own, and the services trust that address too, so the directory's login throttle
sees the browser's address, not the console's.
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path

from stack.services import GATEWAY_HEALTH, HIDDEN_PREFIXES, ServiceSpec, available, routes

BODY_LIMIT_BYTES = 10 * 1024 * 1024  # nginx's client_max_body_size 10m
COMPOSE_PORT = 8080
# compose.yaml's fixed addresses (tests/stack/test_compose.py checks them).
COMPOSE_GATEWAY_ADDRESS = "172.28.80.80"
COMPOSE_CLIENT_ADDRESSES = {"admin": "172.28.80.86"}  # each of GATEWAY_CLIENTS

_TEMPLATE = """\
{runtime}events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp_paths}    client_max_body_size {body_limit_mb}m;
{forwarded_map}{upstreams}
    server {{
        listen {listen};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For {forwarded_for};
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-ID $request_id;
        location = {health} {{ return 200 "ok\\n"; }}
{hidden}{locations}    }}
}}
"""

_COMPOSE_HEADER = """\
# The gateway for compose.yaml, generated from stack/services.py (do not edit):
#     uv run python -m stack.gateway > deploy/nginx.conf
"""


def _render(
    services: list[ServiceSpec],
    listen: str,
    upstream: Callable[[ServiceSpec], str],
    runtime: str = "",
    temp_paths: str = "",
    clients: tuple[str, ...] = (),
) -> str:
    """`clients`: the addresses whose X-Forwarded-For is kept (and appended to)."""
    upstreams = "".join(
        f"    upstream {s.name} {{ server {upstream(s)}; keepalive 32; }}\n" for s in services
    )
    hidden = "".join(
        f"        location = {p} {{ return 404; }}\n        location {p}/ {{ return 404; }}\n"
        for p in HIDDEN_PREFIXES
    )
    locations = "".join(
        f"        location {r.prefix} {{ proxy_pass http://{r.service.name}; }}\n"
        for r in routes(services)
    )
    forwarded_map = (
        "    map $remote_addr $forwarded_for {\n"
        + "".join(f"        {a} $proxy_add_x_forwarded_for;\n" for a in clients)
        + "        default $remote_addr;\n    }\n"
        if clients
        else ""
    )
    return _TEMPLATE.format(
        runtime=runtime,
        forwarded_map=forwarded_map,
        forwarded_for="$forwarded_for" if clients else "$remote_addr",
        temp_paths=temp_paths,
        body_limit_mb=BODY_LIMIT_BYTES // (1024 * 1024),
        upstreams=upstreams,
        listen=listen,
        health=GATEWAY_HEALTH,
        hidden=hidden,
        locations=locations,
    )


def nginx_config(services: list[ServiceSpec], port: int, prefix: Path) -> str:
    """For `python -m stack`: nginx on 127.0.0.1:`port`, its files under `prefix`."""
    runtime = (
        "user root;\n" if os.geteuid() == 0 else ""
    ) + f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
    temp_paths = "".join(
        f"    {kind}_temp_path {prefix}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    local = f"127.0.0.1:{port}"
    return _render(services, local, lambda s: f"127.0.0.1:{s.port}", runtime, temp_paths)


def compose_nginx_config(services: list[ServiceSpec]) -> str:
    """For compose.yaml: each service is reached by its compose name."""
    clients = tuple(COMPOSE_CLIENT_ADDRESSES.values())

    def by_name(service: ServiceSpec) -> str:
        return f"{service.name}:{service.port}"

    return _COMPOSE_HEADER + _render(services, str(COMPOSE_PORT), by_name, clients=clients)


def compose_forwarded_allow_ips() -> str:
    """What every service of compose.yaml trusts X-Forwarded-For from."""
    return ",".join((COMPOSE_GATEWAY_ADDRESS, *COMPOSE_CLIENT_ADDRESSES.values()))


if __name__ == "__main__":
    sys.stdout.write(compose_nginx_config(available()))
