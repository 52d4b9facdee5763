"""Names go verbatim into plain-text e-mails and spreadsheets (issue 9.10): line breaks,
tabs, other control characters and invisible formatting (U+202E) are refused, with the
field named; joiners some scripts need are not."""

import pytest

from tests.support.directory import Lms, problem

HOSTILE = ["Marie\r\nBcc: all@example.com", "Marie\nTremblay", "Ma\trie", "\u202eeiraM",
           "Ma\u2028rie", "Ma\x07rie", "Ma\u2066rie"]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
async def test_an_invitation_refuses_a_name_with_control_characters(lms: Lms, name: str) -> None:
    body = {"email": "cc@example.com", "first_name": name, "last_name": "T"}
    response = await lms.admin.post("/api/v1/users/invitations", json=body)
    problem(response, 422, "first_name", "control")


@pytest.mark.parametrize("name", HOSTILE[:4])
async def test_an_edit_a_group_and_a_label_refuse_them_too(lms: Lms, name: str) -> None:
    user = await lms.invite()
    edit = await lms.admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"last_name": name, "version": await lms.version(user["id"])},
    )
    problem(edit, 422, "last_name", "control")
    problem(await lms.admin.post("/api/v1/groups", json={"name": name}), 422, "name", "control")
    field = {"key": "k", "label": name, "type": "text"}
    problem(await lms.admin.post("/api/v1/custom-fields", json=field), 422, "label", "control")


async def test_names_that_need_joiners_are_accepted(lms: Lms) -> None:
    user = await lms.invite(first_name="\u0645\u06cc\u200c\u0631\u0648\u0645", last_name="Zoé")
    assert user["first_name"] == "\u0645\u06cc\u200c\u0631\u0648\u0645"
