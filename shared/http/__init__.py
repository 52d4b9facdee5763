"""The HTTP side every service shares: the app factory, problem responses, middleware,
operations routes and request dependencies."""

from shared.http.app import create_service_app

__all__ = ["create_service_app"]
