"""Imports and bulk actions in words, and a bulk action as the console's form asks it:
which users (the ticked ones or every user the filters match), what to do, with what."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.admin.domain.messages import N_

# The actions of POST /api/v1/users/bulk, and what each needs from the admin.
BULK_ACTIONS = (
    ("deactivate", N_("Deactivate")),
    ("reactivate", N_("Reactivate")),
    ("resend_invitation", N_("Send the invitation again")),
    ("add_to_group", N_("Add to a group")),
    ("remove_from_group", N_("Remove from a group")),
    ("change_role", N_("Change the role")),
    ("set_custom_field", N_("Set a custom field")),
)
ACTION_LABELS = dict(BULK_ACTIONS)
NEEDS_GROUP = ("add_to_group", "remove_from_group")

# Why the rules refuse a user (the preview's `refusals`, the results' reasons).
REFUSAL_REASONS = {
    "self": N_("yourself"),
    "last_admin": N_("the last active administrator"),
    "already_deactivated": N_("already deactivated"),
    "not_deactivated": N_("not deactivated"),
    "not_invited": N_("already accepted their invitation"),
    "suppressed_address": N_("the address bounced or complained: mail to it is suppressed"),
    "invited_recently": N_("an invitation was sent a moment ago"),
}

# What becomes of a row or a user (a job's `counts`).
OUTCOMES = {
    "created": N_("Created"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "skipped": N_("Skipped"),
    "refused": N_("Refused"),
    "failed": N_("Failed"),
}

# What the preview of an import plans for a row.
PLANS = {
    "create": N_("To create"),
    "update": N_("To update"),
    "unchanged": N_("Unchanged"),
    "error": N_("Error"),
}

JOB_STATES = {
    "queued": N_("Waiting"),
    "running": N_("In progress"),
    "done": N_("Done"),
    "failed": N_("Failed"),
    "expired": N_("Expired"),
    "cancelled": N_("Cancelled"),
}
RUNNING = ("queued", "running")


def is_running(job: dict[str, Any] | None) -> bool:
    return job is not None and job.get("state") in RUNNING


def percent_done(job: dict[str, Any]) -> int:
    total = job.get("total") or 0
    if not total:
        return 100 if job.get("state") == "done" else 0
    return min(100, int(100 * int(job.get("processed") or 0) / int(total)))


class IncompleteChoice(ValueError):
    """The form lacks something; the message (a message id) says what."""


@dataclass(frozen=True)
class BulkChoice:
    """A bulk action as chosen in the directory: `scope` is "selected" (the ticked
    `user_ids`) or "filters" (everyone the directory's `filters` query string matches)."""

    action: str
    scope: str = "selected"
    filters: str = ""
    user_ids: tuple[str, ...] = ()
    reason: str = ""
    group_id: str = ""
    role: str = ""
    field_key: str = ""
    field_value: str = ""

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    def missing(self) -> str | None:
        """What the admin must still give before a preview (a message id), or None."""
        if self.action not in ACTION_LABELS:
            return N_("Choose an action.")
        if self.scope != "filters" and not self.user_ids:
            return N_("Tick at least one user, or choose every user matching the filters.")
        if self.action in NEEDS_GROUP and not self.group_id:
            return N_("Choose the group.")
        if self.action == "change_role" and not self.role:
            return N_("Choose the role.")
        if self.action == "set_custom_field" and not self.field_key:
            return N_("Choose the custom field.")
        return None

    def params(self) -> dict[str, Any]:
        if self.action == "deactivate":
            return {"reason": self.reason.strip() or None}
        if self.action in NEEDS_GROUP:
            return {"group_id": self.group_id}
        if self.action == "change_role":
            return {"role": self.role}
        if self.action == "set_custom_field":
            return {"key": self.field_key, "value": self.field_value.strip() or None}
        return {}

    def api_body(self, filters: dict[str, Any], confirm: bool) -> dict[str, Any]:
        """POST /api/v1/users/bulk's body; `filters`: the directory's, as the API takes them."""
        body: dict[str, Any] = {"action": self.action, "params": self.params(), "confirm": confirm}
        if self.scope == "filters":
            body["filters"] = filters
        else:
            body["user_ids"] = list(self.user_ids)
        return body


def refusal_lines(refusals: dict[str, int]) -> list[tuple[str, int]]:
    """The preview's refusals, most frequent first, each reason as a message id."""
    ordered = sorted(refusals.items(), key=lambda item: (-item[1], item[0]))
    return [(REFUSAL_REASONS.get(code, code), count) for code, count in ordered if count]


def count_lines(counts: dict[str, int], words: dict[str, str]) -> list[tuple[str, int]]:
    """A job's or a preview's counts in a stable order, each as a message id."""
    known = [(words[key], counts[key]) for key in words if counts.get(key)]
    other = [(key, n) for key, n in sorted(counts.items()) if key not in words and key != "rows"]
    return known + other


def distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
