"""Rows for the export tests."""

from datetime import UTC, datetime
from typing import Any

from services.exports.domain.columns import CustomFieldColumn, FieldType
from services.exports.domain.rows import ExportRow
from shared.contracts.users import BounceKind, EmailState, InvitationState, UserStatus

FIELDS = [
    CustomFieldColumn("department", "Service", FieldType.CHOICE),
    CustomFieldColumn("seniority", "Ancienneté", FieldType.NUMBER),
    CustomFieldColumn("hired_on", "Date d'embauche", FieldType.DATE),
    CustomFieldColumn("mentor", "Mentor", FieldType.YES_NO),
    CustomFieldColumn("note", "Note", FieldType.TEXT),
]


def a_row(**changes: Any) -> ExportRow:
    row = ExportRow(
        first_name="Zoé",
        last_name="Lévesque 🎓",
        email="zoe.levesque@exemple.ca",
        phone="+1 514 555 0101",
        locale="fr",
        role="learner",
        status=UserStatus.ACTIVE,
        groups=("Montréal", "Ventes"),
        invitation_state=InvitationState.ACCEPTED,
        invitation_first_sent_at=datetime(2024, 1, 10, 14, 0, 5, 123456, tzinfo=UTC),
        invitation_last_sent_at=datetime(2024, 7, 10, 14, 0, tzinfo=UTC),
        email_state=EmailState.BOUNCED,
        bounce_kind=BounceKind.HARD,
        email_reason='550 5.1.1 unknown; "mailbox"\nfull',
        email_changed_at=datetime(2024, 8, 1, 3, 0, tzinfo=UTC),
        created_at=datetime(2024, 1, 10, 13, 59, tzinfo=UTC),
        last_login_at=None,
        deactivated_at=None,
        deactivated_by=None,
        deactivation_reason=None,
        invitation_expires_at=datetime(2024, 7, 17, 14, 0, tzinfo=UTC),
        custom_fields={
            "department": "TI",
            "seniority": -3,
            "hired_on": "2019-09-01",
            "mentor": True,
            "note": "=2+3",
        },
    )
    return row._replace(**changes)
