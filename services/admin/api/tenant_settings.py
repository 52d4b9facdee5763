"""Groups and custom fields of the tenant."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from services.admin.adapters.api_client import ApiProblem
from services.admin.api.context import AdminCaller, go_to, render
from services.admin.domain.refusals import Refusal, refusal_of
from services.admin.usecases import settings_pages as use
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)

FIELD_TYPES = ("text", "number", "date", "choice", "yes_no")


def _refusal(problem: ApiProblem) -> Refusal:
    return refusal_of(problem.status, problem.detail, problem.errors, problem.retry_after)


@router.get("/groups")
async def groups_page(request: Request, caller: AdminCaller) -> Response:
    groups = await use.list_groups(caller)
    return render(request, "groups.html", groups=groups, refusal=Refusal(), name="")


@router.post("/groups")
async def create_group(
    request: Request, caller: AdminCaller, name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    try:
        await use.create_group(caller, name.strip())
    except ApiProblem as problem:
        groups = await use.list_groups(caller)
        return render(
            request, "groups.html", 422, groups=groups, refusal=_refusal(problem), name=name
        )
    return go_to(request, "/groups?done=created")


@router.post("/groups/{group_id}/rename")
async def rename_group(
    request: Request,
    group_id: str,
    caller: AdminCaller,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        await use.rename_group(caller, group_id, name.strip())
    except ApiProblem as problem:
        groups = await use.list_groups(caller)
        return render(
            request, "groups.html", 422, groups=groups, refusal=_refusal(problem), name=""
        )
    return go_to(request, "/groups?done=renamed")


@router.post("/groups/{group_id}/delete")
async def delete_group(request: Request, group_id: str, caller: AdminCaller) -> Response:
    await use.delete_group(caller, group_id)
    return go_to(request, "/groups?done=deleted")


@router.get("/custom-fields")
async def fields_page(request: Request, caller: AdminCaller) -> Response:
    fields = await use.list_fields(caller)
    return render(
        request, "fields.html", fields=fields, types=FIELD_TYPES, refusal=Refusal(), values={}
    )


@router.post("/custom-fields")
async def define_field(
    request: Request,
    caller: AdminCaller,
    key: Annotated[str, Form(max_length=64)] = "",
    label: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=20)] = "text",
    required: Annotated[str, Form()] = "",
    choices: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    fields = await use.list_fields(caller)
    definition = {
        "key": key.strip(),
        "label": label.strip(),
        "type": type,
        "required": required == "yes",
        "choices": [c.strip() for c in choices.splitlines() if c.strip()],
        "position": (max((f["position"] for f in fields), default=-10) + 10),
    }
    try:
        await use.define_field(caller, definition)
    except ApiProblem as problem:
        return render(
            request,
            "fields.html",
            422,
            fields=fields,
            types=FIELD_TYPES,
            refusal=_refusal(problem),
            values=definition | {"choices": choices},
        )
    return go_to(request, "/custom-fields?done=created")


@router.post("/custom-fields/{field_id}/move")
async def move_field(
    request: Request,
    field_id: str,
    caller: AdminCaller,
    direction: Annotated[str, Form()] = "down",
) -> Response:
    await use.move_field(caller, field_id, -1 if direction == "up" else 1)
    return go_to(request, "/custom-fields?done=moved")


@router.post("/custom-fields/{field_id}/delete")
async def delete_field(request: Request, field_id: str, caller: AdminCaller) -> Response:
    await use.delete_field(caller, field_id)
    return go_to(request, "/custom-fields?done=deleted")
