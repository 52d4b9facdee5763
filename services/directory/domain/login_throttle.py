"""How repeated login failures slow an attacker down without handing them a lockout.

Failures are counted in several buckets at once, and a login waits while any of its
buckets is spent:

- the account name *from this client address*: a guesser slows down only themselves;
- the client address, whatever the account: one address can't try many accounts;
- the account name from any device the account never logged in from, with a far larger
  allowance: many addresses together can't guess one password for long;
- a *known device* (its cookie, set after a successful login) skips the three above and
  has a bucket of its own: however hard the account is attacked, the user's own
  browser still gets in with the right password.

In each bucket the first failures are free; after that each failure makes the next try
wait twice as long, up to a ceiling; the count starts over some hours after the last
failure. Buckets are named by the tenant *slug* and account *name* as typed, whether or
not they exist, so the answers never tell an attacker which tenants or accounts exist.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    first_wait: timedelta = timedelta(seconds=1)
    max_wait: timedelta = timedelta(minutes=15)
    reset_after: timedelta = timedelta(hours=12)

    def wait_after(self, failures: int) -> timedelta:
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 32)  # beyond that it is the ceiling
        wait: timedelta = self.first_wait * 2**doublings
        return min(self.max_wait, wait)


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None


def remaining_wait(state: ThrottleState | None, now: datetime) -> timedelta:
    if state is None or state.blocked_until is None or state.blocked_until <= now:
        return timedelta(0)
    return state.blocked_until - now


def after_failure(
    policy: ThrottlePolicy, state: ThrottleState | None, now: datetime
) -> ThrottleState:
    failures = 1
    if state is not None and now - state.last_failure_at < policy.reset_after:
        failures = state.failures + 1
    wait = policy.wait_after(failures)
    return ThrottleState(failures, now, now + wait if wait else None)


class Bucket(StrEnum):
    ACCOUNT_CLIENT = "account-client"
    CLIENT = "client"
    ACCOUNT = "account"  # from unknown devices only
    DEVICE = "device"  # a known device of the account


@dataclass(frozen=True)
class LoginThrottle:
    """The policy of each bucket, and after how many failures on the account (from
    unknown devices) its user is told by e-mail."""

    account_client: ThrottlePolicy
    client: ThrottlePolicy
    account: ThrottlePolicy
    device: ThrottlePolicy
    alert_after: int

    def policy(self, bucket: Bucket) -> ThrottlePolicy:
        return {
            Bucket.ACCOUNT_CLIENT: self.account_client,
            Bucket.CLIENT: self.client,
            Bucket.ACCOUNT: self.account,
            Bucket.DEVICE: self.device,
        }[bucket]


@dataclass(frozen=True)
class LoginAttempt:
    tenant_slug: str
    account: str  # the normalised e-mail address
    client: str  # the client's address
    known_device: str | None  # the device's id (its token hash, hex) when it is known


def bucket_keys(attempt: LoginAttempt) -> dict[Bucket, str]:
    """The buckets an attempt counts in, each with its key."""
    account = f"{attempt.tenant_slug.lower()}:{attempt.account}"
    if attempt.known_device is not None:
        return {Bucket.DEVICE: f"device:{account}:{attempt.known_device}"}
    return {
        Bucket.ACCOUNT_CLIENT: f"account-client:{account}:{attempt.client}",
        Bucket.CLIENT: f"client:{attempt.client}",
        Bucket.ACCOUNT: f"account:{account}",
    }


# Emptied by a successful login; the others run down with time only (else an attacker
# who owns one account could reset their address's allowance by logging into it).
CLEARED_ON_SUCCESS = (Bucket.ACCOUNT_CLIENT, Bucket.DEVICE)
