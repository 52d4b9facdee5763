"""What the service does, one flow per module, each named by what it does.

A flow that is one transaction takes the unit of work (`uow`) its caller opened; a flow
that must do something between transactions (send an e-mail, hash a password) takes
`units`, which opens one unit of work per `async with units() as uow`."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from shared.unit_of_work import UnitOfWork

UnitsOfWork = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
