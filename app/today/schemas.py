"""The Today document (SPEC §11)."""

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from app.calc.today_actions import TodayActionCode
from app.core.fields import Platform, UtcOut, Weekday
from app.profiles.check import ProfileCheckOut
from app.users.models import WorkingHours


class FollowToday(BaseModel):
    platform: Platform
    recommended_today: int = Field(description="As GET …/pacing answers at as_of (§6.1).")
    follows_today: int
    remaining_today: int
    allowed_now: int
    slots: list[UtcOut] = Field(
        description="When to follow, one person at each: remaining_today instants in "
        "[max(as_of, start of work), end of work), spread evenly, at least "
        "burst_window_minutes × 60 ÷ burst_limit seconds apart, with a jitter of at most "
        "±25 % of the spacing that is the same for the same user, platform and day. "
        "Following once at each and nothing else trips no limit."
    )
    unscheduled: int = Field(description="Follows of remaining_today that did not fit.")


class PostToday(BaseModel):
    platform: Platform
    posts_today: int
    remaining_today: int = Field(
        description="As GET …/posting answers: max(0, max_posts_per_day − posts_today)."
    )
    slots: list[UtcOut] = Field(
        description="max(0, min_posts_per_day − posts_today) instants at the best hours "
        "(else 09:00, 12:00, 17:00, then the other hours of work), inside working hours, "
        "after as_of, at least min_gap_minutes apart and after the last post."
    )


class BestHourOut(BaseModel):
    weekday: Weekday
    hour: int = Field(ge=0, le=23, description="Local hour of the day, 0–23.")
    inbound: int = Field(description="Inbound events in that hour in the 8 weeks before as_of.")


class ContactToday(BaseModel):
    contact_id: uuid.UUID
    name: str | None
    handles: list[str]
    unanswered: int
    waiting_since: UtcOut | None = Field(description="The oldest unanswered inbound event.")
    due_at: UtcOut | None
    overdue_days: int


class ContactsToday(BaseModel):
    helpful_before_next_pitch: int = Field(
        description="§6.3 non_sales_needed over 30 days: helpful contacts before the next sale."
    )
    get_back_to: list[ContactToday] = Field(
        description="Up to 10 contacts with unanswered messages, oldest waiting first."
    )
    keep_in_touch: list[ContactToday] = Field(
        description="Up to 10 stale contacts, most overdue first."
    )


class ActionOut(BaseModel):
    code: TodayActionCode
    text: str
    platform: Platform | None = None
    contact_id: uuid.UUID | None = None
    at: UtcOut | None = Field(
        default=None, description="When to do it; null: as soon as you can (it is due now)."
    )


class TodayOut(BaseModel):
    date: dt.date = Field(description="The local day of as_of.")
    as_of: UtcOut
    timezone: str
    working_hours: WorkingHours
    start_of_work: UtcOut
    end_of_work: UtcOut
    follows: list[FollowToday]
    posts: list[PostToday]
    best_hours: dict[str, list[BestHourOut] | None] = Field(
        description="Per platform with a plan or inbound events in the 8 weeks before "
        "as_of: the three local (weekday, hour) with the most inbound events, or null "
        "when there were fewer than 20."
    )
    contacts: ContactsToday
    profile: ProfileCheckOut
    actions: list[ActionOut] = Field(
        description="The day's to-do list, by time then importance (replies, follows, "
        "posts, helpful contacts, reconnecting, profile fixes); an action without `at` is "
        "due now."
    )
