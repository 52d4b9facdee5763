"""The directory's tables. `tenant_id` leads every key and index of tenant data."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from services.directory.domain.addresses import address_skeleton
from services.directory.domain.users import LoginState
from shared.contracts.custom_fields import FieldType
from shared.contracts.users import BounceKind, EmailState, InvitationState, UserStatus
from shared.db import new_metadata, stored_as_text

Timestamp = DateTime(timezone=True)


# `users.last_login_sort` of someone who never logged in: before every real login.
NEVER_LOGGED_IN = "1970-01-01T00:00:00Z"


class Base(DeclarativeBase):
    metadata = new_metadata()


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(2), server_default="fr")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class Role(Base):
    """Roles are data: a key, whether it administers the tenant, and its permissions."""

    __tablename__ = "roles"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    is_admin: Mapped[bool] = mapped_column(Boolean)
    permissions: Mapped[list[str]] = mapped_column(ARRAY(Text))
    label_fr: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))


# Users' columns PostgreSQL keeps itself from other tables: no INSERT or UPDATE names them.
KEPT_BY_TRIGGER = frozenset({"group_ids"})


# What the creation-date and name orders' indexes carry besides their key: the columns of
# every list filter but the custom fields (user_filters.py).
ORDER_INDEX_COVERS = (
    "status",
    "role",
    "invitation_state",
    "invitation_expires_at",
    "email_state",
    "login_state",
    "last_login_sort",
    "group_ids",
    "email_normalized",
    "search_text",
)


class User(Base):
    __tablename__ = "users"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320))
    # What the address looks like (set with `email`): one that looks like another user's
    # address is refused (domain/addresses.py).
    email_skeleton: Mapped[str] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(2))
    role: Mapped[str] = mapped_column(ForeignKey("roles.key"))
    status: Mapped[UserStatus] = mapped_column(stored_as_text(UserStatus, 20))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    password_hash: Mapped[str | None] = mapped_column(Text)

    invitation_state: Mapped[InvitationState] = mapped_column(
        stored_as_text(InvitationState, 20), server_default=InvitationState.NONE.value
    )
    invitation_request_id: Mapped[uuid.UUID | None]
    invitation_requested_at: Mapped[datetime | None] = mapped_column(Timestamp)
    invitation_resend_count: Mapped[int] = mapped_column(Integer, server_default="0")
    invitation_accepted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    invitation_first_sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    invitation_last_sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    invitation_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    invitation_send_count: Mapped[int] = mapped_column(Integer, server_default="0")
    invitation_message_id: Mapped[str | None] = mapped_column(Text)
    invitation_failure_reason: Mapped[str | None] = mapped_column(Text)

    email_state: Mapped[EmailState] = mapped_column(
        stored_as_text(EmailState, 20), server_default=EmailState.OK.value
    )
    email_bounce_kind: Mapped[BounceKind | None] = mapped_column(stored_as_text(BounceKind, 20))
    email_state_reason: Mapped[str | None] = mapped_column(Text)
    email_state_changed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    email_delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)

    activated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    deactivated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    deactivated_by: Mapped[uuid.UUID | None]
    deactivation_reason: Mapped[str | None] = mapped_column(Text)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # The user's groups (ids, ordered), kept from user_groups by triggers (migrations 0005,
    # and 0008 for links inserted before their user) for the list's filter: never written
    # here (see `KEPT_BY_TRIGGER`).
    group_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), server_default=text("'{}'"), deferred=True
    )

    # Sort and search keys, kept by PostgreSQL itself.
    sort_name: Mapped[str] = mapped_column(
        Text, Computed("lower(last_name || ' ' || first_name)", persisted=True)
    )
    search_text: Mapped[str] = mapped_column(
        Text,
        Computed(
            "lower(first_name || ' ' || last_name) || ' ' || email_normalized", persisted=True
        ),
    )
    last_login_sort: Mapped[datetime] = mapped_column(
        Timestamp,
        Computed(f"coalesce(last_login_at, '{NEVER_LOGGED_IN}'::timestamptz)", persisted=True),
    )
    # Text, not a boolean: GIN and the planner's joint statistics only index comparisons
    # (`login_state = 'never'`), and PostgreSQL turns `flag = true` into a bare `flag`.
    login_state: Mapped[LoginState] = mapped_column(
        stored_as_text(LoginState, 10),
        Computed(
            f"CASE WHEN last_login_at IS NULL THEN '{LoginState.NEVER.value}' "
            f"ELSE '{LoginState.LOGGED_IN.value}' END",
            persisted=True,
        ),
    )

    @validates("email")
    def _keep_skeleton(self, _: str, email: str) -> str:
        self.email_skeleton = address_skeleton(email)
        return email

    # The list's indexes (services/directory/db/user_search.py says which filter uses which).
    # GIN indexes leave tenant_id out: in a GIN it is one more key whose list of every row
    # of the tenant is read and intersected on each search (3-12 ms for a 1M-user tenant);
    # the tenant condition is checked on the rows instead, and a small tenant's list is read
    # from its btree (tenant_id first) rather than from a GIN.
    __table_args__ = (
        Index("uq_users_email", "tenant_id", "email_normalized", unique=True),
        Index("ix_users_email_skeleton", "tenant_id", "email_skeleton"),
        # By creation date and by name, a walk checks every filter but the custom fields in
        # the order's index alone, without reading the heap page of a row that does not
        # match (migration 0010; user_search.py, COVERING_ORDERS).
        Index(
            "ix_users_created_filters",
            "tenant_id",
            "created_at",
            "id",
            postgresql_include=list(ORDER_INDEX_COVERS),
        ),
        Index(
            "ix_users_sort_name_filters",
            "tenant_id",
            "sort_name",
            "id",
            postgresql_include=[*ORDER_INDEX_COVERS, "created_at"],
        ),
        Index("ix_users_last_login", "tenant_id", "last_login_sort", "id"),
        # Who never logged in goes with status (invited users never did): a btree finds
        # such a combination at once.
        Index("ix_users_login_state", "tenant_id", "login_state", "status"),
        Index("ix_users_invitation", "tenant_id", "invitation_state", "invitation_expires_at"),
        Index("ix_users_invitation_message", "tenant_id", "invitation_message_id"),
        # Every filter of the list in one GIN (migration 0008): a mix of filters is
        # intersected inside one index scan, its posting lists merged in order and skipped
        # ahead, where one GIN per filter built a bitmap of each filter's every row first.
        Index(
            "ix_users_filters",
            "status",
            "role",
            "invitation_state",
            "email_state",
            "login_state",
            "group_ids",
            "custom_fields",
            "search_text",
            "email_normalized",
            func.text_bigrams(search_text),
            postgresql_using="gin",
            postgresql_ops={
                "custom_fields": "jsonb_path_ops",
                "search_text": "gin_trgm_ops",
                "email_normalized": "gin_trgm_ops",
            },
        ),
    )
    # The version goes up on every flush that changes the row, and the UPDATE only applies
    # if the row still has the version that was read (optimistic concurrency).
    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}  # noqa: RUF012


class UserNamePieces(Base):
    """Each user's sort name, search text and address, kept by triggers on `users`
    (migrations 0011, 0013: on insert, and when a name or an address changes; the seed
    fills it after its COPY), under a GIN of the search text's three-letter pieces tagged
    with the sort name's initial: a text term's matches under every initial but one,
    without a heap page for those under that one (name_seek.py, `seek_page`); and under a
    btree in e-mail order that holds the search text: a text search walked in e-mail order
    index-only (email_walk.py). Apart from `users`, whose every change would otherwise
    rewrite those entries."""

    __tablename__ = "user_name_pieces"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sort_name: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    email_normalized: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        Index(
            "ix_user_name_pieces",
            func.name_initial_trigrams(sort_name, search_text),
            postgresql_using="gin",
        ),
        Index(
            "ix_user_name_pieces_email",
            "tenant_id",
            "email_normalized",
            "user_id",
            postgresql_include=["search_text"],
        ),
    )


class Group(Base):
    __tablename__ = "groups"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    __table_args__ = (Index("uq_groups_name", "tenant_id", func.lower(name), unique=True),)


class UserGroup(Base):
    __tablename__ = "user_groups"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)

    __table_args__ = (
        ForeignKeyConstraint(  # deferrable: an import links new users before inserting them
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            ondelete="CASCADE",
            deferrable=True,
        ),
        ForeignKeyConstraint(
            ["tenant_id", "group_id"], ["groups.tenant_id", "groups.id"], ondelete="CASCADE"
        ),
        Index("ix_user_groups_group", "tenant_id", "group_id", "user_id"),
    )


class CustomField(Base):
    __tablename__ = "custom_fields"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[FieldType] = mapped_column(stored_as_text(FieldType, 20))
    required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    choices: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    # Taken from the sequence at each change (db/custom_fields.py: next_version).
    version: Mapped[int] = mapped_column(
        BigInteger, server_default=text("nextval('custom_field_versions')")
    )

    __table_args__ = (Index("uq_custom_fields_key", "tenant_id", "key", unique=True),)


class Activity(Base):
    """The profile's feed: admin actions, logins, invitation and e-mail events, learning."""

    __tablename__ = "activities"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(100))
    actor_id: Mapped[uuid.UUID | None]
    occurred_at: Mapped[datetime] = mapped_column(Timestamp)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    source_event_id: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        Index("ix_activities_user", "tenant_id", "user_id", "occurred_at", "id"),
    )


class Enrollment(Base):
    """Read model of the user's course enrollments, fed by `lms.enrollment.*`."""

    __tablename__ = "enrollments"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    course_title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(50))
    progress_percent: Mapped[int | None] = mapped_column(Integer)
    enrolled_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
    )


class LoginSession(Base):
    """A login session behind the HttpOnly cookie; only the token's hash is stored."""

    __tablename__ = "sessions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    token_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    user_agent: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        Index("uq_sessions_token", "tenant_id", "token_hash", unique=True),
        Index("ix_sessions_user", "tenant_id", "user_id"),
    )


class LoginFailures(Base):
    """Failed logins per bucket (domain/login_throttle.py), by the hash of the bucket's key:
    the key names an account that may not exist, which is not kept in the clear."""

    __tablename__ = "login_failures"

    key_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(Timestamp)
    blocked_until: Mapped[datetime | None] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_login_failures_last", "last_failure_at"),)


class KnownDevice(Base):
    """A browser the user logged in from (the known-device cookie); only its token's hash
    is stored."""

    __tablename__ = "known_devices"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    user_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    last_used_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        Index("ix_known_devices_user", "tenant_id", "user_id"),
    )


class IntegrationInvitation(Base):
    """An invitation an integration asked for (the `InviteUser` command), by its request
    id: the same request again answers with the same user instead of inviting twice."""

    __tablename__ = "integration_invitations"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email_normalized: Mapped[str] = mapped_column(Text)  # the address the request asked for
    user_id: Mapped[uuid.UUID | None]  # set in the transaction that claimed the request
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
    )
