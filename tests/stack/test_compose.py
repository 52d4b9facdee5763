"""compose.yaml and `python -m stack` run the same system (Docker cannot run here, so the
files are compared): the same services, commands, ports, routes and setting names."""

import importlib
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import ProcessSettings
from stack.__main__ import Stack, migrate_command, serve_command
from stack.gateway import (
    COMPOSE_CLIENT_ADDRESSES,
    COMPOSE_GATEWAY_ADDRESS,
    compose_forwarded_allow_ips,
    compose_nginx_config,
)
from stack.services import GATEWAY_CLIENTS, READY_PATH, ServiceSpec, available

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = {"postgres", "rabbitmq", "mailpit", "keys", "gateway"}
# Read by uvicorn from the environment, not by the service's settings.
PROCESS_SETTINGS = {"FORWARDED_ALLOW_IPS"}
# The stack serves plain HTTP on 127.0.0.1; compose keeps the secure defaults.
STACK_ONLY = {"SESSION_COOKIE_SECURE", "COOKIE_SECURE"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded["services"]  # type: ignore[no-any-return]


def _settings_names(service: ServiceSpec) -> set[str]:
    module = importlib.import_module(f"services.{service.name}.settings")
    settings = next(
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ProcessSettings)
        and value.__module__ == module.__name__
    )
    return {name.upper() for name in settings.model_fields} | PROCESS_SETTINGS


def test_compose_runs_the_services_the_stack_runs(compose: dict[str, Any]) -> None:
    assert set(compose) - INFRASTRUCTURE == {s.name for s in available()}


def test_each_service_is_migrated_then_served_as_the_stack_does(compose: dict[str, Any]) -> None:
    for service in available():
        migrate, serve = shlex.join(migrate_command(service)), shlex.join(serve_command(service))
        assert compose[service.name]["command"] == ["sh", "-c", f"{migrate} && exec {serve}"]


def test_each_service_has_its_port_a_readiness_check_and_no_published_port(
    compose: dict[str, Any],
) -> None:
    for service in available():
        declared = compose[service.name]
        assert declared["environment"]["PORT"] == str(service.port)
        assert f"'http://127.0.0.1:{service.port}{READY_PATH}'" in " ".join(
            declared["healthcheck"]["test"]
        )
        assert "ports" not in declared, f"{service.name} (and its /metrics) must stay internal"


def test_compose_and_the_stack_set_the_same_settings(
    compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACK_STATE_DIR", str(tmp_path))
    stack = Stack()
    for service in available():
        read = _settings_names(service)
        in_compose = {name.removesuffix("_FILE") for name in compose[service.name]["environment"]}
        by_stack = {name for name, value in stack.service_env(service).items() if value}
        assert in_compose <= read, f"{service.name} does not read {in_compose - read}"
        assert in_compose == (by_stack & read) - STACK_ONLY, service.name


def test_the_gateway_uses_the_generated_nginx_config(compose: dict[str, Any]) -> None:
    gateway = compose["gateway"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in gateway["volumes"]
    assert (ROOT / "deploy" / "nginx.conf").read_text() == compose_nginx_config(available()), (
        "deploy/nginx.conf is out of date: uv run python -m stack.gateway > deploy/nginx.conf"
    )
    assert gateway["depends_on"] == {
        s.name: {"condition": "service_started" if s.name in GATEWAY_CLIENTS else "service_healthy"}
        for s in available()
    }


def test_services_trust_forwarded_headers_from_the_gateway_only(compose: dict[str, Any]) -> None:
    """The gateway, and the gateway's clients (the console): the gateway keeps what such a
    client sends (the browser's address) and replaces what anyone else sends."""
    assert compose["gateway"]["networks"]["backend"]["ipv4_address"] == COMPOSE_GATEWAY_ADDRESS
    assert set(COMPOSE_CLIENT_ADDRESSES) == set(GATEWAY_CLIENTS)
    for client, address in COMPOSE_CLIENT_ADDRESSES.items():
        assert compose[client]["networks"]["backend"]["ipv4_address"] == address
    for service in available():
        trusted = compose[service.name]["environment"]["FORWARDED_ALLOW_IPS"]
        assert trusted == compose_forwarded_allow_ips(), service.name
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for address in COMPOSE_CLIENT_ADDRESSES.values():
        assert f"{address} $proxy_add_x_forwarded_for;" in nginx
    assert "default $remote_addr;" in nginx
