"""The Core tables behind the models, for the statements built once at import."""

from sqlalchemy import Table

from services.invitations.db.models import Delivery, Invitation

deliveries: Table = Delivery.__table__  # type: ignore[assignment]
invitations: Table = Invitation.__table__  # type: ignore[assignment]
