"""The invitations service beside the directory, on the run's bus."""

from collections.abc import AsyncIterator

import pytest

from tests.support.infra import Infrastructure
from tests.support.invitations import RunningInvitations, SmtpSink, running_invitations
from tests.support.servers import RunningServer


@pytest.fixture(scope="session")
async def invitations_beside_directory(
    infra: Infrastructure, amqp_url: str, directory: RunningServer
) -> AsyncIterator[RunningInvitations]:
    async with running_invitations(infra, amqp_url, "invitations_e2e") as running:
        yield running


@pytest.fixture(scope="session")
def invitations(invitations_beside_directory: RunningInvitations) -> RunningServer:
    return invitations_beside_directory.server


@pytest.fixture(scope="session")
def smtp(invitations_beside_directory: RunningInvitations) -> SmtpSink:
    return invitations_beside_directory.smtp
