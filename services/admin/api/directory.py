"""The directory: the table of users, its filters and search (updated in place by htmx,
kept in the URL), sorting and cursor pagination."""

from fastapi import Request
from fastapi.responses import Response

from services.admin.adapters.api_client import ApiProblem
from services.admin.api.context import AdminCaller, console, render, targets
from services.admin.domain.filters import DirectoryQuery
from services.admin.domain.refusals import refusal_of
from services.admin.usecases.directory import browse_directory, directory_choices
from shared.http.authentication import ServiceRouter

router = ServiceRouter(include_in_schema=False)


@router.get("/users")
async def directory_page(request: Request, caller: AdminCaller) -> Response:
    query = DirectoryQuery.from_pairs(request.query_params.multi_items())
    template = "partials/results.html" if targets(request, "results") else "directory.html"
    try:
        page = await browse_directory(caller, query, console(request).zone)
    except ApiProblem as problem:  # a filter the API refuses, e.g. a malformed date
        groups, fields = await directory_choices(caller)
        refusal = refusal_of(problem.status, problem.detail, problem.errors, problem.retry_after)
        return render(
            request,
            template,
            query=query,
            page=None,
            groups=groups,
            fields=fields,
            refusal=refusal,
        )
    return render(
        request,
        template,
        query=query,
        page=page,
        groups=page.groups,
        fields=page.fields,
        refusal=None,
    )
