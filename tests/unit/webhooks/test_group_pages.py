"""The pages of `GET /api/v1/integrations/groups`: a page's cursor is the name of its last
group, handed back to the directory as `after`; a cursor it did not give is refused."""

import uuid

import pytest

from services.webhooks.domain.callers import Caller
from services.webhooks.usecases.list_groups import list_groups
from shared.contracts.directory_commands import GroupsReply, ListGroups
from shared.contracts.users import GroupRef
from shared.errors import Malformed
from shared.schemas import encode_cursor

TENANT = uuid.uuid4()
NAMES = ["alpha", "Bravo", "charlie"]


class Directory:
    """Answers as the directory would for a tenant with NAMES, and keeps what it was asked."""

    def __init__(self) -> None:
        self.asked: list[ListGroups] = []

    async def list_groups(self, command: ListGroups) -> GroupsReply:
        self.asked.append(command)
        after = [n for n in NAMES if command.after is None or n.lower() > command.after.lower()]
        page = after[: command.limit]
        groups = [GroupRef(id=uuid.uuid4(), name=name) for name in page]
        return GroupsReply(groups=groups, more=len(after) > command.limit, total=len(NAMES))


async def test_each_page_starts_after_the_last_name_of_the_one_before() -> None:
    directory = Directory()
    caller = Caller(TENANT)

    first = await list_groups(directory, caller, 2, None)
    second = await list_groups(directory, caller, 2, first.next_cursor)

    assert [g.name for g in first.items] == ["alpha", "Bravo"]
    assert [g.name for g in second.items] == ["charlie"]
    assert second.next_cursor is None
    assert [(c.tenant_id, c.after) for c in directory.asked] == [(TENANT, None), (TENANT, "Bravo")]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor({"after": ""}),
        encode_cursor({"at": "alpha"}),
        encode_cursor({"after": "x" * 201}),
    ],
)
async def test_a_cursor_not_given_by_the_list_is_refused_before_asking(cursor: str) -> None:
    directory = Directory()

    with pytest.raises(Malformed, match="cursor"):
        await list_groups(directory, Caller(TENANT), 2, cursor)
    assert directory.asked == []
