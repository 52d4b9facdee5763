"""Who may be sent a password-reset link, and how often one may be asked for.

Anyone may ask (`POST /api/v1/auth/password-reset`): the answer is the same whether or
not the tenant, the account or its eligibility exist. Asking is counted like failed logins
(`domain.login_throttle`), in buckets named by what was typed: the account name from
this client address, the client address, and the account name (which caps the e-mails
one user can be sent, whoever asks)."""

from dataclasses import dataclass
from datetime import timedelta

from services.directory.domain.login_throttle import ThrottlePolicy
from shared.contracts.users import UserStatus


@dataclass(frozen=True)
class ResetThrottle:
    account_client: ThrottlePolicy
    client: ThrottlePolicy
    account: ThrottlePolicy


def reset_throttle(per_hour: int, per_client_per_hour: int) -> ResetThrottle:
    def policy(free: int) -> ThrottlePolicy:
        hour = timedelta(hours=1)
        return ThrottlePolicy(
            free_failures=free,  # the free-th request answered starts the wait
            first_wait=timedelta(minutes=1),
            max_wait=hour,
            reset_after=hour,
        )

    return ResetThrottle(
        account_client=policy(per_hour),
        client=policy(per_client_per_hour),
        account=policy(per_hour * 2),
    )


def reset_bucket_keys(tenant_slug: str, account: str, client: str) -> dict[str, str]:
    """Bucket name → key (named by what was typed, whether or not it exists)."""
    named = f"{tenant_slug.lower()}:{account}"
    return {
        "account_client": f"reset-account-client:{named}:{client}",
        "client": f"reset-client:{client}",
        "account": f"reset-account:{named}",
    }


def can_be_sent_a_reset(status: UserStatus, has_password: bool) -> bool:
    """Only an active user who has a password: an invited user gets their invitation
    again from an admin, a deactivated one nothing at all."""
    return status is UserStatus.ACTIVE and has_password
