"""Who is calling is settled before the request body is read (issue 9.8): FastAPI reads and
parses a route's body before it solves any dependency, so an anonymous caller would get a
413 or a 422 (and cost the parsing) instead of a 401.

A dependency that says who is calling is marked with `@authenticates_first`; every route of
a service is an `AuthenticatedRoute` (`ServiceRouter`, checked by `create_service_app`),
which runs the marked dependencies of a route that takes a body before reading it, and keeps
their answer for the request so they are not run twice."""

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar, cast

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from shared.runtime import ServiceRuntime

Caller = TypeVar("Caller")
CallerDependency = Callable[..., Awaitable[Caller]]

# What a marked dependency may take: it runs before FastAPI solves anything else.
_ACCEPTED = {"request", "uow"}
_KNOWN = "callers_known_before_body"


def authenticates_first(dependency: CallerDependency[Caller]) -> CallerDependency[Caller]:
    """Marks `dependency(request[, uow])` as saying who is calling. Before the body of a
    route using it is read, it runs with a unit of work of its own (ended at once); the
    route's own run of the dependency then answers the same without doing it again."""
    signature = inspect.signature(dependency)
    if "request" not in signature.parameters or not set(signature.parameters) <= _ACCEPTED:
        raise TypeError(f"{dependency.__qualname__} must take `request` and at most `uow`")

    @functools.wraps(dependency)
    async def remembered(*args: Any, **kwargs: Any) -> Caller:
        request: Request = signature.bind(*args, **kwargs).arguments["request"]
        known: dict[object, Any] = getattr(request.state, _KNOWN, {})
        if dependency in known:
            return cast(Caller, known[dependency])
        return await dependency(*args, **kwargs)

    remembered.__authenticates__ = dependency  # type: ignore[attr-defined]
    return remembered


async def _run_before_body(request: Request, dependency: CallerDependency[Any]) -> None:
    known: dict[object, Any] = getattr(request.state, _KNOWN, {})
    if dependency in known:
        return
    if "uow" in inspect.signature(dependency).parameters:
        service: ServiceRuntime = request.app.state.runtime
        async with service.unit_of_work() as uow:
            known[dependency] = await dependency(request=request, uow=uow)
    else:
        known[dependency] = await dependency(request=request)
    setattr(request.state, _KNOWN, known)


def _marked(dependant: Dependant) -> Iterator[CallerDependency[Any]]:
    for sub in dependant.dependencies:
        marked = getattr(sub.call, "__authenticates__", None)
        if marked is not None:
            yield marked
        yield from _marked(sub)


class AuthenticatedRoute(APIRoute):
    """A route whose caller is authenticated before its body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        first = list(dict.fromkeys(_marked(self.dependant)))
        if self.body_field is None or not first:
            return handler

        async def authenticated_first(request: Request) -> Response:
            for dependency in first:
                await _run_before_body(request, dependency)
            return await handler(request)

        return authenticated_first


class ServiceRouter(APIRouter):
    """The router of every service's routes: `AuthenticatedRoute`s."""

    def __init__(self, **options: Any) -> None:
        super().__init__(route_class=AuthenticatedRoute, **options)
