"""A bulk action as the console's form asks it, and imports' and jobs' words."""

from services.admin.domain.bulk import (
    BulkChoice,
    count_lines,
    distinct,
    percent_done,
    refusal_lines,
)

USER = "0b7c7d5e-8a54-4a36-9d53-6f2b0d1f3a11"


def test_ticked_users_are_sent_as_ids_and_filters_as_the_directory_has_them() -> None:
    ticked = BulkChoice("deactivate", user_ids=(USER,), reason="  Cohort ended ")
    assert ticked.api_body({"q": "x"}, confirm=False) == {
        "action": "deactivate",
        "params": {"reason": "Cohort ended"},
        "confirm": False,
        "user_ids": [USER],
    }
    everyone = BulkChoice("add_to_group", scope="filters", group_id="g1")
    assert everyone.api_body({"status": ["active"]}, confirm=True) == {
        "action": "add_to_group",
        "params": {"group_id": "g1"},
        "confirm": True,
        "filters": {"status": ["active"]},
    }


def test_what_is_missing_before_a_preview_is_said() -> None:
    assert BulkChoice("explode", user_ids=(USER,)).missing() == "Choose an action."
    assert BulkChoice("reactivate").missing() == (
        "Tick at least one user, or choose every user matching the filters."
    )
    assert BulkChoice("add_to_group", scope="filters").missing() == "Choose the group."
    assert BulkChoice("change_role", scope="filters").missing() == "Choose the role."
    assert BulkChoice("set_custom_field", scope="filters").missing() == ("Choose the custom field.")
    assert BulkChoice("deactivate", scope="filters").missing() is None


def test_a_custom_field_left_empty_is_cleared() -> None:
    choice = BulkChoice("set_custom_field", scope="filters", field_key="badge", field_value=" ")
    assert choice.params() == {"key": "badge", "value": None}


def test_refusals_most_frequent_first_in_words() -> None:
    lines = refusal_lines({"self": 1, "not_invited": 40, "last_admin": 0, "new_rule": 2})
    assert lines == [("already accepted their invitation", 40), ("new_rule", 2), ("yourself", 1)]


def test_counts_in_a_stable_order_and_progress() -> None:
    words = {"created": "Created", "failed": "Failed"}
    assert count_lines({"failed": 1, "rows": 9, "created": 8, "odd": 3}, words) == [
        ("Created", 8),
        ("Failed", 1),
        ("odd", 3),
    ]
    assert percent_done({"state": "running", "total": 200, "processed": 50}) == 25
    assert percent_done({"state": "done", "total": 0, "processed": 0}) == 100
    assert distinct(["a", "", "b", "a"]) == ("a", "b")
