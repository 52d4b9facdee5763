"""Name resolution as a part we can swap: tests answer what they want, including DNS that
changes its answer between two lookups."""

import asyncio
import socket
from collections.abc import Sequence
from typing import Protocol

from services.webhooks.domain.addresses import IPAddress, parse_address


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        """Every address `host` has; an OSError (socket.gaierror) when it has none."""
        ...


class SystemResolver:
    """The event loop's getaddrinfo (the system's resolver, in a thread)."""

    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        found: list[IPAddress] = []
        for *_, sockaddr in infos:
            address = parse_address(str(sockaddr[0]))
            if address is not None and address not in found:
                found.append(address)
        return found
