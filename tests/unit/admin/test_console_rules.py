"""The console's pure rules: filters in the URL and for the API, envelopes, refusals in
words, dates in the tenant's zone."""

from zoneinfo import ZoneInfo

from services.admin.domain.envelopes import envelope_of, suppression_view
from services.admin.domain.filters import DirectoryQuery
from services.admin.domain.formatting import byte_size, moment
from services.admin.domain.refusals import refusal_of
from services.admin.domain.session import ConsoleSession, choose_locale
from services.admin.domain.user_forms import changes_of, invitation_of

TORONTO = ZoneInfo("America/Toronto")


def test_filters_keep_known_names_and_drop_empty_values() -> None:
    query = DirectoryQuery.from_pairs(
        [
            ("q", " roy "),
            ("status", "invited"),
            ("status", "active"),
            ("role", ""),
            ("evil", "x"),
            ("field.team", "red"),
            ("cursor", "abc"),
            ("sort", "-email"),
        ]
    )
    assert query.filters == (
        ("q", "roy"),
        ("status", "invited"),
        ("status", "active"),
        ("field.team", "red"),
        ("sort", "-email"),
    )
    assert query.cursor == "abc"
    assert query.url() == "?q=roy&status=invited&status=active&field.team=red&sort=-email"
    assert query.next_page_url("n2").endswith("&cursor=n2")


def test_dates_are_days_in_the_tenants_zone() -> None:
    query = DirectoryQuery.from_pairs([("created_from", "2026-11-17"), ("created_to", "nope")])
    params = dict(query.api_params(TORONTO))
    assert params["created_from"] == "2026-11-17T00:00:00-05:00"
    assert params["created_to"] == "nope"  # the API says what is wrong with it
    assert params["limit"] == "50"


def test_export_filters_use_the_list_names() -> None:
    query = DirectoryQuery.from_pairs(
        [("status", "invited"), ("group", "g1"), ("q", "roy"), ("sort", "name")]
    )
    assert query.export_filters(TORONTO) == {"status": ["invited"], "group": ["g1"], "q": "roy"}


def test_sorting_toggles_and_says_its_direction() -> None:
    query = DirectoryQuery.from_pairs([("sort", "email")])
    assert query.sort_url("email") == "?sort=-email"
    assert query.sort_state("email") == "ascending"
    assert query.sort_state("name") == "none"
    assert DirectoryQuery().sort_state("name") == "ascending"


def test_envelopes() -> None:
    sent = {
        "status": "invited",
        "envelope": "blue",
        "invitation": {"state": "sent", "first_sent_at": "2026-01-02T10:00:00Z"},
        "email_status": {"state": "ok"},
    }
    blue = envelope_of(sent)
    assert blue is not None
    assert blue.colour == "blue"
    assert blue.can_resend
    assert blue.label == "Invitation sent"
    bounced = envelope_of(
        {
            **sent,
            "envelope": "orange",
            "email_status": {
                "state": "bounced",
                "bounce_kind": "hard",
                "reason": "mailbox unknown",
                "changed_at": "2026-01-03T10:00:00Z",
            },
        }
    )
    assert bounced is not None
    assert bounced.colour == "orange"
    assert (bounced.problem, bounced.reason) == ("Permanent bounce", "mailbox unknown")
    failed = envelope_of(
        {**sent, "invitation": {"state": "failed", "failure_reason": "suppressed"}}
    )
    assert failed is not None
    assert (failed.colour, failed.reason) == ("failed", "suppressed")
    assert (
        envelope_of(
            {
                "status": "active",
                "invitation": {"state": "none"},
                "email_status": {"state": "ok"},
                "envelope": None,
            }
        )
        is None
    )


def test_the_suppression_list_says_each_kind_in_words() -> None:
    item = {
        "email": "lea@example.com",
        "kind": "soft_bounces",
        "reason": "452 4.2.2 mailbox full",
        "created_at": "2026-03-01T12:00:00+00:00",
    }
    row = suppression_view(item)
    assert (row.email, row.kind) == ("lea@example.com", "Temporary bounces, 3 in a row")
    assert (row.reason, row.listed_at, row.complaint) == (
        "452 4.2.2 mailbox full",
        "2026-03-01T12:00:00+00:00",
        False,
    )
    complaint = suppression_view({**item, "kind": "complaint", "reason": ""})
    assert (complaint.kind, complaint.complaint) == ("Complaint", True)
    assert suppression_view({"email": "x@y.z", "kind": "new"}).kind == "Bounce of unknown kind"


def test_refusals_are_put_next_to_their_field() -> None:
    last = refusal_of(409, "The last active administrator cannot be demoted.", [], None)
    assert [m.text for m in last.fields["role"]] == [
        "This is the last active administrator: make someone else an administrator first."
    ]
    stale = refusal_of(412, "whatever", [], None)
    assert "Someone changed this user" in stale.general[0].text
    throttled = refusal_of(429, "Too soon", [], 42)
    assert throttled.general[0].params == {"seconds": 42}
    invalid = refusal_of(422, "Invalid", [{"field": "body.email", "message": "bad"}], None)
    assert invalid.fields["email"][0].params == {"reason": "bad"}


def test_an_edit_sends_only_what_changed() -> None:
    user = {
        "first_name": "Léa",
        "last_name": "Roy",
        "email": "l@example.com",
        "locale": "fr",
        "role": "admin",
        "phone": None,
        "groups": [{"id": "g1", "name": "A"}],
        "custom_fields": {"team": "red"},
    }
    form = {
        "first_name": ["Léa"],
        "last_name": ["Roy"],
        "email": ["l@example.com"],
        "locale": ["fr"],
        "role": ["admin"],
        "phone": [""],
        "groups_shown": ["yes"],
        "group_ids": ["g1"],
        "cf.team": ["red"],
        "cf.size": ["3"],
    }
    fields = [{"key": "team", "type": "text"}, {"key": "size", "type": "number"}]
    assert changes_of(user, form, fields) == {"custom_fields": {"size": 3}}
    form["role"] = ["learner"]
    form["group_ids"] = []
    assert changes_of(user, form, fields)["role"] == "learner"
    assert changes_of(user, form, fields)["group_ids"] == []


def test_an_invitation_from_the_form() -> None:
    form = {
        "email": ["a@example.com"],
        "first_name": ["A"],
        "last_name": ["B"],
        "locale": [""],
        "role": ["learner"],
        "group_ids": ["g1", "g2"],
        "cf.active": ["yes"],
        "cf.note": [""],
    }
    fields = [{"key": "active", "type": "yes_no"}, {"key": "note", "type": "text"}]
    assert invitation_of(form, fields) == {
        "email": "a@example.com",
        "first_name": "A",
        "last_name": "B",
        "role": "learner",
        "group_ids": ["g1", "g2"],
        "custom_fields": {"active": True},
    }


def test_dates_and_sizes_in_the_admins_language() -> None:
    assert (
        moment("2026-07-01T16:30:00Z", "en", TORONTO).replace("\u202f", " ")
        == "Jul 1, 2026, 12:30 p.m."
    )
    assert moment("2026-07-01T16:30:00Z", "fr", TORONTO) == "1 juill. 2026, 12 h 30"
    assert moment(None, "fr", TORONTO) == ""
    assert byte_size(1536, "fr") == "1,5 kB"


def test_the_language_follows_the_choice_then_the_browser() -> None:
    assert choose_locale("en", "fr-CA,fr;q=0.9", "fr") == "en"
    assert choose_locale(None, "de-DE,en;q=0.8", "fr") == "en"
    assert choose_locale(None, None, "fr") == "fr"
    session = ConsoleSession(nonce="n", locale="fr")
    assert ConsoleSession.from_dict(session.to_dict()) == session
    assert not session.logged_in
