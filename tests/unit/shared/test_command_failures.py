"""A command's refusal crosses the bus as its kind and words, and is raised again as the
same domain error on the asking side."""

import pytest

from shared import errors
from shared.messaging.commands import failure_of, raise_failure


@pytest.mark.parametrize(
    "error",
    [
        errors.Invalid("email: not an address", errors=[{"loc": ["email"]}]),
        errors.Conflict("A user with this e-mail address already exists."),
        errors.Forbidden("no longer an active user"),
        errors.RuleViolation("a rule"),
        errors.NotFound("There is no such tenant."),
    ],
)
def test_a_refusal_comes_back_as_the_same_error(error: errors.DomainError) -> None:
    with pytest.raises(type(error)) as raised:
        raise_failure(failure_of(error))
    assert type(raised.value) is type(error)
    assert raised.value.detail == error.detail
    assert raised.value.errors == error.errors


def test_an_unexpected_error_is_unavailable_without_its_internals() -> None:
    failure = failure_of(RuntimeError("connection to server at 10.0.0.5 failed"))
    assert failure.kind == "Unavailable"
    assert "10.0.0.5" not in failure.detail
    with pytest.raises(errors.Unavailable):
        raise_failure(failure)


def test_an_unknown_kind_is_unavailable() -> None:
    failure = failure_of(errors.Invalid("x")).model_copy(update={"kind": "SomethingNew"})
    with pytest.raises(errors.Unavailable):
        raise_failure(failure)
