"""Runtime rules JSON Schema cannot state, applied to *positive* generated cases only.

positive_data_acceptance asserts that every request the schema allows is accepted. A few
of the API's rules depend on the clock, on server state or on several fields at once, so
no JSON Schema can express them; schemathesis' advice for that case is to "extend the
generators to match runtime rules". This hook does exactly that, and nothing else:

* it only touches cases generated as positive (negative cases reach the app unchanged);
* every change keeps the case valid against the schema;
* each rule below names the place of the contract (SPEC.md) it mirrors.

The checks themselves stay as schemathesis ships them.
"""

import csv
import io
import re
import zlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import available_timezones

from app.calc.vocabulary import CONTACTS, PLATFORM_PRESETS

ZONES = sorted(available_timezones() - {"localtime", "Factory"})
NOW = datetime.now(UTC)
PAST_YEAR = "2024"  # a leap year, so any month and day written stays a real date


def _pick(options: list[str], seed: object) -> str:
    return options[zlib.crc32(repr(seed).encode()) % len(options)]


def _instant(text: str) -> datetime:
    # Python parses at most 6 fractional digits; RFC 3339 allows any number.
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text.upper()))


def _happened(event: dict) -> None:
    """§2: an event more than 24 h ahead of the server clock is refused; §1: is_sales only
    on contact kinds."""
    at = event.get("occurred_at")
    if isinstance(at, str) and _instant(at) > NOW + timedelta(hours=23):
        event["occurred_at"] = PAST_YEAR + at[4:]
    if event.get("is_sales") and event.get("kind") not in CONTACTS:
        event["is_sales"] = False


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
    cap = body.get("daily_cap") or preset.daily_cap
    if preset.follow_daily_limit is not None and cap > preset.follow_daily_limit:
        cap = body["daily_cap"] = preset.follow_daily_limit
    most = cap * len(body.get("active_weekdays") or range(7))
    if preset.follow_weekly_limit is not None:
        most = min(most, preset.follow_weekly_limit)
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
    """§6.8: week names an ISO week that exists and has begun by as_of (default now)."""
    week = query.get("week")
    if week is None:
        return
    try:
        year, number = int(week[:4]), int(week[6:])
        ok = len(week) == 8 and week[4:6] == "-W" and 1970 <= year < NOW.year and 1 <= number <= 52
    except ValueError:
        ok = False
    if not ok:
        seed = zlib.crc32(week.encode())
        week = query["week"] = f"{2000 + seed % 25}-W{1 + seed % 52:02d}"
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
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
        # §4: a cursor is whatever next_cursor the server issued; positive cases start at page one.
        query.pop("cursor", None)
        if path.endswith("/posting"):
            _date_range(query)
        elif path.endswith("/events"):
            _instant_range(query)
        elif path.endswith("/report"):
            _week(query)
    if path.endswith("/events:import"):
        case.body = _csv(body)
    if not isinstance(body, dict):
        return case
    if path in ("/v1/users", "/v1/users/{user_id}") and isinstance(body.get("timezone"), str):
        # §2: an IANA time zone: positive cases draw from the zoneinfo database.
        body["timezone"] = _pick(ZONES, body["timezone"])
    elif path.endswith("/events") and method == "POST":
        _happened(body)
    elif path.endswith("/events:batch"):
        _batch(body)
    elif "/follow-plans/" in path and platform in PLATFORM_PRESETS:
        _follow_plan(body, platform)
    elif "/posting-plans/" in path and platform in PLATFORM_PRESETS:
        _posting_plan(body, platform)
    return case
