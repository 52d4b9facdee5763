"""A realistic payload per event, for Zapier's `performList` while a tenant has no real
one yet. Built by the same functions as real deliveries, so the shape can't drift."""

import uuid
from datetime import UTC, datetime, timedelta

from services.webhooks.domain.events import USER_EVENTS, WebhookEvent
from services.webhooks.domain.payloads import (
    Payload,
    email_bounced_payload,
    export_completed_payload,
    user_payload,
)
from shared.contracts.email import EmailBounced
from shared.contracts.exports import ExportCompleted
from shared.contracts.users import (
    BounceKind,
    CustomFieldValue,
    EmailSummary,
    GroupRef,
    InvitationState,
    InvitationSummary,
    UserSnapshot,
    UserStatus,
)

_SAMPLE_IDS = uuid.UUID("0c6f9a7e-2d41-4b7a-8e0f-3a9d5c1b7e20")
SAMPLE_TENANT_ID = uuid.uuid5(_SAMPLE_IDS, "tenant")
SAMPLE_USER_ID = uuid.uuid5(_SAMPLE_IDS, "user")
_CREATED = datetime(2025, 9, 2, 13, 30, tzinfo=UTC)
_ACTIVATED = _CREATED + timedelta(hours=2, minutes=14)
_NOW = datetime(2025, 9, 15, 16, 5, 42, tzinfo=UTC)


def _sample_id(event: WebhookEvent) -> str:
    return str(uuid.uuid5(_SAMPLE_IDS, event.value))


def _sample_user(event: WebhookEvent) -> UserSnapshot:
    status = {
        WebhookEvent.USER_CREATED: UserStatus.INVITED,
        WebhookEvent.USER_DEACTIVATED: UserStatus.DEACTIVATED,
    }.get(event, UserStatus.ACTIVE)
    invited = status is UserStatus.INVITED
    return UserSnapshot(
        id=SAMPLE_USER_ID,
        tenant_id=SAMPLE_TENANT_ID,
        email="camille.tremblay@example.com",
        first_name="Camille",
        last_name="Tremblay",
        phone="+1 514 555 0142",
        locale="fr",
        role="instructor" if event is WebhookEvent.USER_ROLE_CHANGED else "learner",
        status=status,
        groups=[GroupRef(id=uuid.uuid5(_SAMPLE_IDS, "group"), name="Cohorte automne 2025")],
        custom_fields=[
            CustomFieldValue(
                key="employee_number", label="Employee number", type="text", value="E-10482"
            ),
            CustomFieldValue(key="department", label="Department", type="select", value="Sales"),
        ],
        invitation=InvitationSummary(
            state=InvitationState.SENT if invited else InvitationState.ACCEPTED,
            requested_at=_CREATED,
            first_sent_at=_CREATED + timedelta(seconds=4),
            last_sent_at=_CREATED + timedelta(seconds=4),
            expires_at=_CREATED + timedelta(days=7),
            send_count=1,
            accepted_at=None if invited else _ACTIVATED,
        ),
        email_status=EmailSummary(delivered_at=_CREATED + timedelta(seconds=9)),
        deactivation=None,
        activated_at=None if invited else _ACTIVATED,
        last_login_at=None if invited else _NOW - timedelta(days=1),
        created_at=_CREATED,
        updated_at=_CREATED if invited else _NOW,
        version=1 if invited else 6,
    )


def sample_payload(event: WebhookEvent) -> Payload:
    """A payload of `event` as a delivery would carry it, about a made-up user."""
    event_id = _sample_id(event)
    if event in USER_EVENTS:
        occurred = _CREATED if event is WebhookEvent.USER_CREATED else _NOW
        previous_role = "learner" if event is WebhookEvent.USER_ROLE_CHANGED else None
        return user_payload(event, event_id, occurred, _sample_user(event), previous_role)
    if event is WebhookEvent.EMAIL_BOUNCED:
        bounce = EmailBounced(
            provider="sendgrid",
            provider_event_id="sg_evt_5Yd2kq8PQwS3u1nJ",
            email="camille.tremblay@example.com",
            message_id="<invitation.7f3a@mail.example.com>",
            user_id=SAMPLE_USER_ID,
            occurred_at=_NOW,
            kind=BounceKind.HARD,
            reason="550 5.1.1 The email account that you tried to reach does not exist.",
        )
        return email_bounced_payload(event_id, _NOW, SAMPLE_TENANT_ID, bounce)
    export = ExportCompleted(
        job_id=uuid.uuid5(_SAMPLE_IDS, "export"),
        requested_by=uuid.uuid5(_SAMPLE_IDS, "admin"),
        format="xlsx",
        row_count=1284,
        completed_at=_NOW,
    )
    return export_completed_payload(event_id, _NOW, SAMPLE_TENANT_ID, export)
