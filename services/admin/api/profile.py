"""A user's profile (details, activity, groups, enrollments, custom fields, invitation and
e-mail history, deactivation), editing it, and inviting a new user."""

from fastapi import Request
from fastapi.responses import Response

from services.admin.adapters.api_client import ApiProblem
from services.admin.api.context import AdminCaller, go_to, render, targets
from services.admin.domain.refusals import Refusal, refusal_of
from services.admin.domain.user_forms import changes_of, invitation_of
from services.admin.usecases.common import Caller
from services.admin.usecases.directory import directory_choices
from services.admin.usecases.users import edit_user, invite_user, show_profile, show_user
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)


def _refusal(problem: ApiProblem) -> Refusal:
    return refusal_of(problem.status, problem.detail, problem.errors, problem.retry_after)


async def _form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [str(v) for v in form.getlist(key)] for key in form}


@router.get("/users/new")
async def invite_page(request: Request, caller: AdminCaller) -> Response:
    groups, fields = await directory_choices(caller)
    return render(
        request, "invite.html", groups=groups, fields=fields, values={}, refusal=Refusal()
    )


@router.post("/users/new")
async def invite(request: Request, caller: AdminCaller) -> Response:
    form = await _form(request)
    groups, fields = await directory_choices(caller)
    invitation = invitation_of(form, fields)
    try:
        user = await invite_user(caller, invitation)
    except ApiProblem as problem:
        return render(
            request,
            "invite.html",
            422,
            groups=groups,
            fields=fields,
            values=form,
            refusal=_refusal(problem),
        )
    return go_to(request, f"/users/{user['id']}?done=invite")


async def _profile_page(
    request: Request, caller: Caller, user_id: str, status: int = 200, **values: object
) -> Response:
    page = await show_profile(caller, user_id, request.query_params.get("activities"))
    if targets(request, "more-activities"):
        return render(request, "partials/activities.html", page=page, user_id=user_id)
    values.setdefault("refusal", Refusal())
    values.setdefault("form", None)
    return render(
        request,
        "profile.html",
        status,
        page=page,
        user=page.user,
        done=request.query_params.get("done"),
        **values,
    )


@router.get("/users/{user_id}")
async def profile(request: Request, user_id: str, caller: AdminCaller) -> Response:
    return await _profile_page(request, caller, user_id)


@router.post("/users/{user_id}")
async def edit(request: Request, user_id: str, caller: AdminCaller) -> Response:
    form = await _form(request)
    user = await show_user(caller, user_id)
    _, fields = await directory_choices(caller)
    changes = changes_of(user, form, fields)
    version = (form.get("version") or [str(user["version"])])[-1]
    if changes:
        try:
            await edit_user(caller, user_id, version, changes)
        except ApiProblem as problem:
            return await _profile_page(
                request, caller, user_id, 409, refusal=_refusal(problem), form=form
            )
    return go_to(request, f"/users/{user_id}?done=edit")
