"""Answers of GET /users/{id}/relationships (SPEC §6.7)."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.fields import Component, UtcOut

Stage = Annotated[
    Literal["know", "like", "trust"],
    Component(
        "Stage",
        "Know, like, trust (§6.7): know = outbound only; like = some inbound; trust = at least "
        "3 inbound events on 2 local days and non_sales ≥ sales_ratio.",
    ),
]


class RelationshipOut(BaseModel):
    counterpart: str
    first_contact_at: UtcOut
    last_contact_at: UtcOut
    outbound: int = Field(description="Outbound events with this person, every kind.")
    inbound: int = Field(description="Inbound events from this person, every kind.")
    non_sales: int = Field(description="Outbound contacts (post … wall_post) with is_sales false.")
    sales: int = Field(description="Outbound contacts with is_sales true.")
    stage: Stage
    stale: bool = Field(description="last_contact_at is more than keep_in_touch_days before as_of.")


class RelationshipList(BaseModel):
    as_of: UtcOut
    keep_in_touch_days: int
    items: list[RelationshipOut]
    next_cursor: str | None


class StageCounts(BaseModel):
    know: int
    like: int
    trust: int
    stale: int = Field(description="Counterparts of any stage whose last contact is stale.")
    total: int
