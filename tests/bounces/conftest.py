"""The bounces service, running for real (see tests.support.bounces), fed `invitation.sent`
on the bus as the invitations service sends it, and seen through its database."""

import asyncpg
import pytest

from tests.bounces.posters import POSTERS, Poster
from tests.support.bounce_notices import ProviderSecrets
from tests.support.bounces import BouncesStack
from tests.support.servers import RunningServer


@pytest.fixture(scope="session")
def bounces(bounces_stack: BouncesStack) -> RunningServer:
    return bounces_stack.server


@pytest.fixture(scope="session")
def sql(bounces_stack: BouncesStack) -> asyncpg.Pool:
    assert bounces_stack.sql is not None
    return bounces_stack.sql


@pytest.fixture(scope="session")
def secrets(bounces_stack: BouncesStack) -> ProviderSecrets:
    return bounces_stack.secrets


@pytest.fixture(params=sorted(POSTERS))
def poster(request: pytest.FixtureRequest, secrets: ProviderSecrets) -> Poster:
    """Each provider in turn."""
    poster: Poster = POSTERS[request.param](secrets)
    return poster
