"""Events a bulk job builds as plain data (`serialized_event`) are the JSON the validated
models give: a consumer can't tell a `user.deactivated` of a bulk job from the route's."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from services.directory.db.models import CustomField, User
from services.directory.db.snapshots import snapshot_data
from shared.contracts import new_event, serialized_event
from shared.contracts.custom_fields import FieldType
from shared.contracts.invitations import InvitationRequested
from shared.contracts.users import (
    BounceKind,
    EmailState,
    GroupRef,
    InvitationState,
    UserSnapshot,
    UserStatus,
)

TENANT = uuid.uuid4()
NOW = datetime(2026, 12, 4, 13, 5, 7, 123456, tzinfo=UTC)


def _same(data: dict[str, object], model: BaseModel, event_type: str) -> None:
    plain = json.loads(
        serialized_event(
            event_type, source="/s", tenant_id=TENANT, subject="x", version=3, data=data
        ).body
    )
    validated = json.loads(
        new_event(
            event_type, source="/s", tenant_id=TENANT, subject="x", version=3, data=model
        ).model_dump_json()
    )
    assert plain.pop("id") != validated.pop("id")
    times = plain.pop("time"), validated.pop("time")
    assert [len(t) for t in times] == [len(times[1])] * 2
    assert all(t.endswith("Z") for t in times)
    assert plain == validated
    assert json.dumps(plain["data"]) == json.dumps(validated["data"])  # same keys, same order


def test_a_deactivated_users_snapshot_built_plain_is_the_validated_one() -> None:
    field = CustomField(
        tenant_id=TENANT,
        id=uuid.uuid4(),
        key="cohort",
        label="Cohorte",
        type=FieldType.TEXT,
        required=False,
        choices=[],
        position=2,
        created_at=NOW,
        version=7,
    )
    user = User(
        tenant_id=TENANT,
        id=uuid.uuid4(),
        email="Élodie@exemple.fr",
        email_normalized="élodie@exemple.fr",
        first_name="Élodie",
        last_name="Durand",
        phone=None,
        locale="fr",
        role="learner",
        status=UserStatus.DEACTIVATED,
        custom_fields={str(field.id): "2026-A", "unknown-field": 3},
        invitation_state=InvitationState.SENT,
        invitation_requested_at=NOW,
        invitation_first_sent_at=NOW,
        invitation_last_sent_at=NOW,
        invitation_expires_at=NOW + timedelta(days=7),
        invitation_send_count=1,
        invitation_resend_count=0,
        email_state=EmailState.BOUNCED,
        email_bounce_kind=BounceKind.SOFT,
        email_state_changed_at=NOW,
        deactivated_at=NOW,
        deactivated_by=uuid.uuid4(),
        deactivation_reason="left",
        created_at=NOW,
        updated_at=NOW,
        version=4,
    )
    groups = [GroupRef(id=uuid.uuid4(), name="Cohorte 1"), GroupRef(id=uuid.uuid4(), name="B")]
    data = snapshot_data(user, groups, [field])
    _same(data, UserSnapshot.model_validate(data), "user.deactivated")


def test_an_invitation_request_built_plain_is_the_validated_one() -> None:
    data = {
        "request_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "email": "a@b.fr",
        "first_name": "A",
        "last_name": "B",
        "locale": "en",
        "tenant_slug": "acme",
        "tenant_name": "Acme",
        "requested_by": None,
        "requested_at": NOW,
        "is_resend": True,
    }
    _same(data, InvitationRequested.model_validate(data), "invitation.requested")
