"""Deactivate, reactivate, send the invitation again, send a password reset: a
confirmation first (a fragment in the row with htmx, a page without), then the change;
the API's refusal in words."""

from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import Response

from services.admin.adapters.api_client import ApiProblem
from services.admin.api.context import AdminCaller, go_to, is_htmx, render
from services.admin.domain.refusals import refusal_of
from services.admin.usecases.common import Caller
from services.admin.usecases.users import (
    deactivate_user,
    reactivate_user,
    resend_invitation,
    send_password_reset,
    show_user,
)
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)

Action = Literal["deactivate", "reactivate", "resend", "password-reset"]
Origin = Literal["directory", "profile"]


@router.get("/users/{user_id}/{action}")
async def confirm_action(
    request: Request,
    user_id: str,
    action: Action,
    caller: AdminCaller,
    origin: Origin = "directory",
) -> Response:
    user = await show_user(caller, user_id)
    template = "partials/confirm.html" if is_htmx(request) else "confirm.html"
    return render(request, template, user=user, action=action, origin=origin, refusal=None)


@router.post("/users/{user_id}/{action}")
async def do_action(
    request: Request,
    user_id: str,
    action: Action,
    caller: AdminCaller,
    origin: Annotated[Origin, Form()] = "directory",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        user = await _perform(caller, user_id, action, reason.strip() or None)
    except ApiProblem as problem:
        refusal = refusal_of(problem.status, problem.detail, problem.errors, problem.retry_after)
        user = await show_user(caller, user_id)
        if is_htmx(request):  # shown where the confirmation was (htmx swaps 200s only)
            headers = {"HX-Retarget": f"#confirm-{user_id}", "HX-Reswap": "outerHTML"}
            response = render(
                request,
                "partials/confirm.html",
                user=user,
                action=action,
                origin=origin,
                refusal=refusal,
            )
            response.headers.update(headers)
            return response
        return render(
            request, "confirm.html", 409, user=user, action=action, origin=origin, refusal=refusal
        )
    if origin == "profile" or not is_htmx(request):
        return go_to(request, f"/users/{user_id}?done={action}")
    return render(request, "partials/user_row.html", user=user, done=action)


async def _perform(caller: Caller, user_id: str, action: Action, reason: str | None) -> Any:
    if action == "deactivate":
        return await deactivate_user(caller, user_id, reason)
    if action == "reactivate":
        return await reactivate_user(caller, user_id)
    if action == "password-reset":
        await send_password_reset(caller, user_id)
        return await show_user(caller, user_id)
    return await resend_invitation(caller, user_id)
