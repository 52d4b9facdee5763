"""The directory's filters as the console's URL carries them (so a view can be bookmarked
and shared) and as the users API takes them: the same names as GET /api/v1/users."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from services.admin.domain.messages import N_

MULTI_VALUED = ("group", "role", "status", "invitation", "email_status")
SINGLE_VALUED = ("q", "email", "never_logged_in", "sort")
DATE_RANGES = ("created_from", "created_to", "last_login_from", "last_login_to")
FIELD_PREFIX = "field."
PAGE_SIZE = 50

STATUSES = (
    ("invited", N_("Invited")),
    ("active", N_("Active")),
    ("deactivated", N_("Deactivated")),
)
ROLES = (("learner", N_("Learner")), ("admin", N_("Administrator")))
INVITATION_STATES = (
    ("none", N_("No invitation")),
    ("pending", N_("Waiting to be sent")),
    ("sent", N_("Sent")),
    ("delivered", N_("Delivered")),
    ("bounced", N_("Bounced")),
    ("failed", N_("Not sent")),
    ("expired", N_("Expired")),
    ("accepted", N_("Accepted")),
    ("revoked", N_("Revoked")),
)
EMAIL_STATES = (
    ("ok", N_("No problem")),
    ("bounced", N_("Bounced")),
    ("complained", N_("Complaint")),
)
SORTABLE = ("name", "email", "created_at", "last_login_at")


def _known(name: str) -> bool:
    return (
        name in MULTI_VALUED
        or name in SINGLE_VALUED
        or name in DATE_RANGES
        or (name.startswith(FIELD_PREFIX) and len(name) > len(FIELD_PREFIX))
    )


@dataclass(frozen=True)
class DirectoryQuery:
    """The filters of one view, normalised: known names only, no empty values, in order."""

    filters: tuple[tuple[str, str], ...] = ()
    cursor: str | None = None

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "DirectoryQuery":
        kept: list[tuple[str, str]] = []
        cursor = None
        for name, raw in pairs:
            value = raw.strip()
            if name == "cursor" and value:
                cursor = value
            elif value and _known(name) and (name, value) not in kept:
                if name not in MULTI_VALUED:
                    kept = [(n, v) for n, v in kept if n != name]
                kept.append((name, value))
        return cls(tuple(kept), cursor)

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.filters if key == name]

    def value(self, name: str) -> str:
        return next((value for key, value in self.filters if key == name), "")

    @property
    def sort(self) -> str:
        return self.value("sort") or "name"

    @property
    def is_filtered(self) -> bool:
        return any(name != "sort" for name, _ in self.filters)

    def api_params(self, zone: ZoneInfo, limit: int = PAGE_SIZE) -> list[tuple[str, str]]:
        """The users API's query: dates become the start of that day in the tenant's zone."""
        params = [(name, _api_value(name, value, zone)) for name, value in self.filters]
        params.append(("limit", str(limit)))
        if self.cursor:
            params.append(("cursor", self.cursor))
        return params

    def export_filters(self, zone: ZoneInfo) -> dict[str, str | list[str]]:
        """The same filters as a JSON object, for POST /api/v1/exports."""
        found: dict[str, str | list[str]] = {}
        for name, value in self.filters:
            if name == "sort":
                continue
            converted = _api_value(name, value, zone)
            if name in MULTI_VALUED:
                listed = found.setdefault(name, [])
                assert isinstance(listed, list)
                listed.append(converted)
            else:
                found[name] = converted
        return found

    def url(self, **changes: str | None) -> str:
        """This view's query string with some values changed (None removes), page 1."""
        query = replace(self, cursor=None)
        filters = [(n, v) for n, v in query.filters if n not in changes]
        filters += [(n, v) for n, v in changes.items() if v]
        return "?" + urlencode(filters) if filters else "?"

    def next_page_url(self, cursor: str) -> str:
        return "?" + urlencode([*self.filters, ("cursor", cursor)])

    def sort_url(self, column: str) -> str:
        """Sorting by `column`: ascending first, descending when it is already ascending."""
        return self.url(sort=f"-{column}" if self.sort == column else column)

    def sort_state(self, column: str) -> str:
        """aria-sort of the column's header."""
        if self.sort == column:
            return "ascending"
        return "descending" if self.sort == f"-{column}" else "none"


def _api_value(name: str, value: str, zone: ZoneInfo) -> str:
    if name not in DATE_RANGES:
        return value
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value  # the API says what is wrong with it
    return datetime.combine(day, time.min, tzinfo=zone).isoformat()
