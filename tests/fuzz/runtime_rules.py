"""Runtime rules JSON Schema cannot state, applied to *positive* generated cases only.

positive_data_acceptance asserts that every request the schema allows is accepted. What
JSON Schema can say is in openapi.json (patterns, formats, the shared enums: Platform, Kind,
Direction, Weekday, Stage, PaceStatus, TimeZone; is_sales only on contact kinds, as an
if/then on EventIn). The rules below depend on the clock, on server state or on several
fields at once; the schema describes each in words, and this hook keeps positive cases
inside them ("extend the generators to match runtime rules", as schemathesis advises),
and does nothing else:

* occurred_at at most 24 h after the server clock (§2: the clock);
* one external_id, one content, within a batch (§4: several items);
* cursor: only a next_cursor the server issued (§4: server state); positive cases omit it;
* follow plans: daily_cap and weekly_target within the platform's limits and daily_cap ×
  active weekdays; posting plans: min_posts_per_day ≤ max_posts_per_day (§6: several fields,
  and the preset of the path's platform);
* date ranges: from ≤ to, posting at most 366 days (several parameters);
* week: W53 only in long ISO years, 1970-W01 begins in 1969, and the week must have begun
  by as_of (the calendar and the clock);
* events:import: a CSV document (a text/csv body has no JSON Schema grammar); its
  `columns` mapping must name columns the document has (the body), so positive cases omit it.
* api-keys: expires_at in the future (the clock);
* users: working_hours end after start (two fields, or one and the stored other).

It only touches cases generated as positive (negative cases reach the app unchanged), and
every change keeps the case valid against the schema. The checks stay as schemathesis
ships them, all of them on every operation.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

from app.calc.vocabulary import PLATFORM_PRESETS
from app.plans.service import follow_plan_limits

NOW = datetime.now(UTC)
PAST_YEAR = "2024"  # a leap year, so any month and day written stays a real date
FUTURE_YEAR = "2096"  # likewise, for an instant that must be ahead of the clock


def _instant(text: str) -> datetime:
    # Python parses at most 6 fractional digits; RFC 3339 allows any number.
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text.upper()))


def _happened(event: dict) -> None:
    """§2: an event more than 24 h ahead of the server clock is refused."""
    at = event.get("occurred_at")
    if isinstance(at, str) and _instant(at) > NOW + timedelta(hours=23):
        event["occurred_at"] = PAST_YEAR + at[4:]


def _batch(body: dict) -> None:
    """§4: one external_id in one batch must carry one content."""
    seen: dict[str, dict] = {}
    for i, event in enumerate(body.get("events") or []):
        _happened(event)
        ext = event.get("external_id")
        if ext is None:
            continue
        if ext in seen and seen[ext] != event:
            event["external_id"] = f"{ext[:190]}~{i}"
        seen.setdefault(event["external_id"], event)


def _follow_plan(body: dict, platform: str) -> None:
    """§6.1: daily_cap ≤ the platform's daily limit; weekly_target ≤ its weekly limit and
    ≤ daily_cap × active weekdays."""
    preset = PLATFORM_PRESETS[platform]
    daily_limit, weekly_limit = follow_plan_limits(platform)  # §9.2: from the platform's rules
    cap = body.get("daily_cap") or preset.daily_cap
    if daily_limit is not None and cap > daily_limit:
        cap = body["daily_cap"] = daily_limit
    most = cap * len(body.get("active_weekdays") or range(7))
    if weekly_limit is not None:
        most = min(most, weekly_limit)
    if isinstance(body.get("weekly_target"), int | float) and body["weekly_target"] > most:
        body["weekly_target"] = most


def _posting_plan(body: dict, platform: str) -> None:
    """§6.2: min_posts_per_day ≤ max_posts_per_day (either may come from the preset)."""
    preset = PLATFORM_PRESETS[platform]
    low = (
        preset.min_posts_per_day
        if body.get("min_posts_per_day") is None
        else body["min_posts_per_day"]
    )
    high = body.get("max_posts_per_day") or preset.max_posts_per_day
    if low > high:
        body["min_posts_per_day"] = high


def _date_range(query: dict) -> None:
    """§6.2: from ≤ to, at most 366 days."""
    first, last = query.get("from"), query.get("to")
    if isinstance(first, str) and isinstance(last, str):
        a, b = sorted([date.fromisoformat(first), date.fromisoformat(last)])
        b = min(b, a + timedelta(days=365))
        query["from"], query["to"] = a.isoformat(), b.isoformat()


def _instant_range(query: dict) -> None:
    """GET events: from ≤ to."""
    first, last = query.get("from"), query.get("to")
    if isinstance(first, str) and isinstance(last, str) and _instant(first) > _instant(last):
        query["from"], query["to"] = last, first


def _week(query: dict) -> None:
    """§6.8: the schema's pattern states YYYY-Www (1970-2099, W01-W53); what it cannot state
    is that W53 exists only in some years and that the week must have begun by as_of (which
    depends on the clock when as_of is left out)."""
    week = query.get("week")
    if not isinstance(week, str):
        return
    year, number = int(week[:4]), int(week[6:])
    if year >= NOW.year:
        year = 2000 + year % 25
    number = min(number, date(year, 12, 28).isocalendar().week)
    if (year, number) == (1970, 1):  # its Monday is 1969-12-29, before the first instant
        number = 2
    week = query["week"] = f"{year}-W{number:02d}"
    monday = date.fromisocalendar(year, number, 1)
    as_of = query.get("as_of")
    if isinstance(as_of, str) and _instant(as_of).date() <= monday:
        query["as_of"] = f"{monday + timedelta(days=7)}T12:00:00Z"


def _csv(text: object) -> str:
    """events:import: a CSV file of events; the generated text becomes an event's text."""
    value = str(text).encode("utf-8", "ignore").decode().replace("\x00", "")[:5000]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["platform", "kind", "occurred_at", "text"])
    writer.writerow(["x", "post", "2026-01-05T10:00:00Z", value])
    return out.getvalue()


def map_case(_context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    path, method, body, query = case.path, case.method.upper(), case.body, case.query
    platform = (case.path_parameters or {}).get("platform")
    if query:
        # §4: a cursor is whatever next_cursor the server issued. The schema states its shape
        # (base64url), but only an issued value is usable, so positive cases start at page one.
        query.pop("cursor", None)
        if path.endswith("/posting"):
            _date_range(query)
        elif path.endswith("/events"):
            _instant_range(query)
        elif path.endswith("/report"):
            _week(query)
    if path.endswith("/events:import"):
        case.body = _csv(body)
        if query:
            query.pop("columns", None)
    if not isinstance(body, dict):
        return case
    settings = body.get("settings")
    if path.startswith("/v1/users") and isinstance(settings, dict):
        hours = settings.get("working_hours")
        if isinstance(hours, dict) and not (
            isinstance(hours.get("start"), str)
            and isinstance(hours.get("end"), str)
            and hours["start"] < hours["end"]
        ):
            settings.pop("working_hours")  # end after start (two fields, and the stored one)
    if path == "/v1/api-keys" and isinstance(body.get("expires_at"), str):
        if _instant(body["expires_at"]) <= NOW + timedelta(days=1):
            body["expires_at"] = FUTURE_YEAR + body["expires_at"][4:]
    elif path.endswith("/events") and method == "POST":
        _happened(body)
    elif path.endswith("/events:batch"):
        _batch(body)
    elif "/follow-plans/" in path and platform in PLATFORM_PRESETS:
        _follow_plan(body, platform)
    elif "/posting-plans/" in path and platform in PLATFORM_PRESETS:
        _posting_plan(body, platform)
    return case
