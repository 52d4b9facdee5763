"""The webhook's answer."""

from pydantic import BaseModel, Field


class Received(BaseModel):
    """What became of the request: providers only look at the status, people at this."""

    outcome: str = Field(
        description="processed, ignored, subscription_confirmed or subscription_to_confirm"
    )
    published: int = Field(description="Notices matched to a message we sent, published.")
    duplicates: int = Field(description="Notices seen before: nothing changed.")
    unmatched: int = Field(description="Notices for no message we know of: kept, not published.")
    refused: int = Field(description="Notices naming two tenants: kept, not published.")
    ignored: int = Field(description="Events the platform does not act on (opens, clicks...).")
