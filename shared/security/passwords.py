"""argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, parallelism 1).

A password is never altered: no trimming, no case folding. Only its Unicode form is made
canonical (NFC), here, on both sides (choosing and checking), so "é" typed as one code
point or as "e" + accent is the same password whichever keyboard typed it.

Hashing takes tens of milliseconds of CPU: the async helpers run it in a worker thread
(argon2 releases the GIL) so the event loop keeps serving other requests.
"""

import unicodedata
from enum import StrEnum

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# Verified against when the account does not exist, so that a login takes the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def canonical_password(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(canonical_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, spends the same time and says False."""
    try:
        matches = _hasher.verify(password_hash or _DUMMY_HASH, canonical_password(password))
        return matches and bool(password_hash)
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


class PasswordProblem(StrEnum):
    """A rule a new password breaks, for callers that word it themselves (translations)."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_FEW_DIFFERENT = "too_few_different"
    CONTAINS_EMAIL = "contains_email"


PROBLEM_TEXTS = {
    PasswordProblem.TOO_SHORT: f"Use at least {MIN_PASSWORD_LENGTH} characters.",
    PasswordProblem.TOO_LONG: f"Use at most {MAX_PASSWORD_LENGTH} characters.",
    PasswordProblem.TOO_FEW_DIFFERENT: "Use more different characters.",
    PasswordProblem.CONTAINS_EMAIL: "Don't use your e-mail address in your password.",
}


def password_rule_breaks(password: str, *, email: str = "") -> list[PasswordProblem]:
    """The rules a new password breaks (empty: it is fine).

    Length matters far more than character classes (NIST SP 800-63B), so the rules are:
    long enough, not one repeated character, not the e-mail address."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    if password and len(set(password)) < 4:
        problems.append(PasswordProblem.TOO_FEW_DIFFERENT)
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        problems.append(PasswordProblem.CONTAINS_EMAIL)
    return problems


def password_problems(password: str, *, email: str = "") -> list[str]:
    """What is wrong with a new password, in words a user can act on (empty: it is fine)."""
    return [PROBLEM_TEXTS[problem] for problem in password_rule_breaks(password, email=email)]
