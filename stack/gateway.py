"""The nginx gateway: path-prefix routing to each service, as in production."""

import os
from pathlib import Path

from stack.services import ServiceSpec

_TEMPLATE = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 10m;
{upstreams}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-ID $request_id;
        location = /health {{ return 200 "ok\\n"; }}
{locations}
    }}
}}
"""


def nginx_config(services: list[ServiceSpec], port: int, prefix: Path) -> str:
    upstreams = "".join(
        f"    upstream {s.name} {{ server 127.0.0.1:{s.port}; keepalive 32; }}\n" for s in services
    )
    routes = sorted(
        ((route, s.name) for s in services for route in s.routes),
        key=lambda pair: -len(pair[0]),
    )
    locations = "".join(
        f"        location {route} {{ proxy_pass http://{name}; }}\n" for route, name in routes
    )
    return _TEMPLATE.format(
        user="user root;\n" if os.geteuid() == 0 else "",
        prefix=prefix,
        upstreams=upstreams,
        port=port,
        locations=locations,
    )
