"""argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, parallelism 1).

Hashing takes tens of milliseconds of CPU: the async helpers run it in a worker thread
(argon2 releases the GIL) so the event loop keeps serving other requests.
"""

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# Verified against when the account does not exist, so that a login takes the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, spends the same time and says False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def is_argon2id_hash(value: str) -> bool:
    return value.startswith("$argon2id$")


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(verify_password, password_hash, password)


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def password_problems(password: str, *, email: str = "") -> list[str]:
    """What is wrong with a new password, in words a user can act on (empty: it is fine).

    Length matters far more than character classes (NIST SP 800-63B), so the rules are:
    long enough, not one repeated character, not the e-mail address."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    if password and len(set(password)) < 4:
        problems.append("Use more different characters.")
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        problems.append("Don't use your e-mail address in your password.")
    return problems
