"""Who may export: an administrator of the tenant, whose access token grants exports:create."""

from typing import Annotated

from fastapi import Depends, Request

from services.exports.adapters.storage import FileStorage
from services.exports.settings import ExportsSettings
from shared.http.authentication import authenticates_first
from shared.http.dependencies import require_permission
from shared.security.access_tokens import AccessTokenVerifier, Principal
from shared.security.permissions import Permission


@authenticates_first
async def exporting_admin(request: Request) -> Principal:
    verifier: AccessTokenVerifier = request.app.state.token_verifier
    return await require_permission(verifier, Permission.EXPORTS_CREATE)(request)


def settings(request: Request) -> ExportsSettings:
    value: ExportsSettings = request.app.state.settings
    return value


def storage(request: Request) -> FileStorage:
    value: FileStorage = request.app.state.storage
    return value


Admin = Annotated[Principal, Depends(exporting_admin)]
Settings = Annotated[ExportsSettings, Depends(settings)]
Storage = Annotated[FileStorage, Depends(storage)]
