"""What can be wrong with a provider's request, each mapped to one HTTP answer by the route."""


class MalformedNotice(Exception):
    """The body can't be read as the provider's format (400). `path` names the field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class BatchTooLarge(Exception):
    """More events (or bytes) in one request than the provider ever sends (413)."""

    def __init__(self, detail: str, *, limit: int) -> None:
        super().__init__(detail)
        self.limit = limit


class NotAuthentic(Exception):
    """The request can't be shown to come from the provider (401). `reason` is for the logs,
    not for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidKey(ValueError):
    """A configured key, secret or certificate can't be used (a settings error)."""
