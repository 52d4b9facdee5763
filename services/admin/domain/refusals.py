"""The API's refusals in the admin's language, placed next to the field they concern.

The directory answers RFC 9457 problems in English; the rules it enforces have fixed
sentences, which the console translates. Anything else is shown in the API's own words."""

from dataclasses import dataclass, field

from services.admin.domain.messages import N_, Message

# The directory's rule sentences (services/directory/domain/users.py): field, words.
RULES: dict[str, tuple[str, str]] = {
    "You cannot remove your own administrator role.": (
        "role",
        N_("You cannot remove your own administrator role."),
    ),
    "The last active administrator cannot be demoted.": (
        "role",
        N_("This is the last active administrator: make someone else an administrator first."),
    ),
    "You cannot deactivate yourself.": ("", N_("You cannot deactivate yourself.")),
    "This user is already deactivated.": ("", N_("This user is already deactivated.")),
    "The last active administrator cannot be deactivated.": (
        "",
        N_("The last active administrator cannot be deactivated."),
    ),
    "Only a deactivated user can be reactivated.": (
        "",
        N_("Only a deactivated user can be reactivated."),
    ),
    "Only a user who has not accepted their invitation can be re-invited.": (
        "",
        N_("This user has already accepted their invitation."),
    ),
}


@dataclass(frozen=True)
class Refusal:
    """What to show: a message for the form and messages by field name."""

    general: list[Message] = field(default_factory=list)
    fields: dict[str, list[Message]] = field(default_factory=dict)

    @property
    def everything(self) -> list[Message]:
        """Every message, for a place with no field to put them next to."""
        return [*self.general, *(m for messages in self.fields.values() for m in messages)]

    def add(self, field_name: str, message: Message) -> None:
        if field_name:
            self.fields.setdefault(field_name, []).append(message)
        else:
            self.general.append(message)


def refusal_of(
    status: int, detail: str, errors: list[dict[str, str]], retry_after: int | None
) -> Refusal:
    refusal = Refusal()
    if detail in RULES:
        field_name, words = RULES[detail]
        refusal.add(field_name, Message(words))
    elif status == 412:
        refusal.add(
            "",
            Message(
                N_(
                    "Someone changed this user after you opened the page. Reload it to see "
                    "their change, then make yours again."
                )
            ),
        )
    elif status == 429:
        wait = retry_after or 60
        refusal.add(
            "",
            Message(
                N_("Too soon: an invitation was sent a moment ago. Try again in %(seconds)s s."),
                {"seconds": wait},
            ),
        )
    elif status == 409 and "e-mail" in detail.lower():
        refusal.add("email", Message(N_("Another user already has this e-mail address.")))
    elif status == 422 and errors:
        for error in errors:
            name = error.get("field", "").split(".")[-1]
            refusal.add(name, Message(N_("Not accepted: %(reason)s"), {"reason": error["message"]}))
    else:
        refusal.add("", Message(N_("The platform refused: %(reason)s"), {"reason": detail}))
    return refusal
