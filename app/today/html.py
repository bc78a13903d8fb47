"""The Today plan as a page (``Accept: text/html``): the to-do list, a timeline of the
working day with the slots, and the people to answer. No JavaScript; inline CSS and SVG.

Every value goes through ``html.escape``; times are local to the user's zone.
"""

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from app.reports.html import for_a_person, platform_name
from app.today.schemas import ContactToday, TodayOut

_CSS = """*{box-sizing:border-box}body{font-family:system-ui,sans-serif;max-width:56rem;
margin:1.5rem auto;padding:0 1rem;color:#1f2328;line-height:1.45}h1{margin:0 0 .2rem;
font-size:1.6rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #d0d7de;
padding-bottom:.2rem}.muted{color:#59636e}ol.todo{padding-left:0;list-style:none}
ol.todo li{display:flex;gap:.75rem;padding:.4rem 0;border-bottom:1px solid #eee}
.when{flex:0 0 3.5rem;font-variant-numeric:tabular-nums;font-weight:600}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border-bottom:1px solid #eee;
padding:.3rem .4rem;text-align:left;vertical-align:top}.scroll{overflow-x:auto}
svg{max-width:100%;height:auto;display:block}@media print{body{margin:0;max-width:none}
a{color:inherit}}"""
_WEEKDAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _clock(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%H:%M")


def _todo(t: TodayOut, tz: ZoneInfo) -> str:
    if not t.actions:
        return (
            "<p>Nothing to do yet. Create a follow plan and a posting plan, and record what "
            "you do, and Rapport will plan your day.</p>"
        )
    items = "".join(
        f'<li><span class="when">{e(_clock(a.at, tz) if a.at else "now")}</span>'
        f"<span>{e(for_a_person(a.text, a.platform))}</span></li>"
        for a in t.actions
    )
    return f'<ol class="todo">{items}</ol>'


def timeline(t: TodayOut, tz: ZoneInfo) -> str:
    """The working day as a line with an hour scale, a dot per follow slot (one row per
    platform) and a diamond per post slot; "now" as a vertical line."""
    start, end = t.start_of_work, t.end_of_work
    rows = [
        (f"follow {platform_name(f.platform)}", f.slots, "#2f6fb0") for f in t.follows if f.slots
    ]
    rows += [(f"post {platform_name(p.platform)}", p.slots, "#b5651d") for p in t.posts if p.slots]
    left, width, row_h, top = 104, 300, 28, 26
    height = top + row_h * max(1, len(rows)) + 10
    span = max((end - start).total_seconds(), 1.0)
    title = f"Today's working day, {_clock(start, tz)} to {_clock(end, tz)}: " + (
        "; ".join(
            f"{label} at {', '.join(_clock(s, tz) for s in slots)}" for label, slots, _ in rows
        )
        or "nothing scheduled"
    )

    def x(instant: datetime) -> float:
        return left + width * (instant - start).total_seconds() / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} {height}" '
        f'role="img" aria-label="{e(title)}"><title>{e(title)}</title>'
    ]
    hour = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    while hour <= end:
        if hour >= start:
            parts.append(
                f'<line x1="{x(hour):.1f}" x2="{x(hour):.1f}" y1="{top - 6}" y2="{height - 6}" '
                f'stroke="#e4e7eb"/><text x="{x(hour):.1f}" y="{top - 10}" font-size="12" '
                f'text-anchor="middle" fill="#59636e">{e(hour.strftime("%H"))}</text>'
            )
        hour = (hour + timedelta(hours=1)).astimezone(tz)
    for i, (label, slots, colour) in enumerate(rows):
        y = top + row_h * i + row_h / 2
        parts.append(
            f'<text x="2" y="{y + 4:.1f}" font-size="13">{e(label)}</text>'
            f'<line x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c9d1d9"/>'
        )
        for s in slots:
            cx = x(s)
            tip = f"<title>{e(label)} at {e(_clock(s, tz))}</title>"
            if label.startswith("post"):
                parts.append(
                    f'<rect x="{cx - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
                    f'fill="{colour}" transform="rotate(45 {cx:.1f} {y:.1f})">{tip}</rect>'
                )
            else:
                parts.append(
                    f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="5" fill="{colour}">{tip}</circle>'
                )
    if start <= t.as_of < end:
        nx = x(t.as_of)
        parts.append(
            f'<line x1="{nx:.1f}" x2="{nx:.1f}" y1="{top - 4}" y2="{height - 4}" stroke="#cf222e" '
            f'stroke-width="2"><title>now, {e(_clock(t.as_of, tz))}</title></line>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _who(c: ContactToday) -> str:
    handles = ", ".join(h if "@" in h else f"@{h}" for h in c.handles)
    return f"{c.name} ({handles})" if c.name and handles else (c.name or handles or "someone")


def _people(t: TodayOut, tz: ZoneInfo) -> str:
    parts = []
    if t.contacts.get_back_to:
        rows = "".join(
            f"<tr><td>{e(_who(c))}</td><td>{e(c.unanswered)}</td>"
            f"<td>{e(c.waiting_since.astimezone(tz).strftime('%a %d %b, %H:%M') if c.waiting_since else '')}</td></tr>"
            for c in t.contacts.get_back_to
        )
        parts.append(
            "<h2>People to answer</h2><div class=scroll><table><thead><tr><th>Who</th>"
            f"<th>Unanswered</th><th>Waiting since</th></tr></thead><tbody>{rows}</tbody>"
            "</table></div>"
        )
    else:
        parts.append("<h2>People to answer</h2><p>Nobody is waiting for an answer.</p>")
    if t.contacts.keep_in_touch:
        rows = "".join(
            f"<tr><td>{e(_who(c))}</td><td>{e(c.overdue_days)} days</td></tr>"
            for c in t.contacts.keep_in_touch
        )
        parts.append(
            "<h2>Keep in touch</h2><div class=scroll><table><thead><tr><th>Who</th>"
            f"<th>Overdue</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    return "".join(parts)


def _best_hours(t: TodayOut) -> str:
    lines = []
    for platform, hours in t.best_hours.items():
        if hours is None:
            lines.append(
                f"<li>{e(platform_name(platform))}: not enough replies and reactions yet (fewer than 20 in "
                "8 weeks); posts are planned at 09:00, 12:00 and 17:00</li>"
            )
        else:
            best = ", ".join(
                f"{_WEEKDAY_NAMES[b.weekday]} {b.hour:02d}:00 ({b.inbound})" for b in hours
            )
            lines.append(f"<li>{e(platform_name(platform))}: {e(best)}</li>")
    if not lines:
        return ""
    return (
        "<h2>When people answer you</h2><p class=muted>The hours of the week with the most "
        f"replies and reactions in the last 8 weeks.</p><ul>{''.join(lines)}</ul>"
    )


def render(t: TodayOut, user_name: str) -> str:
    tz = ZoneInfo(t.timezone)
    day = datetime.combine(t.date, datetime.min.time()).strftime("%A %d %B %Y")
    hours = f"{t.working_hours.start}–{t.working_hours.end}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Today for {e(user_name)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Today for {e(user_name)}</h1>"
        f"<p class=muted>{e(day)} · working hours {e(hours)} ({e(t.timezone)}) · "
        f"as of {e(_clock(t.as_of, tz))}</p>"
        f"<h2>To do</h2>{_todo(t, tz)}"
        f"<h2>Your day</h2><div class=scroll>{timeline(t, tz)}</div>"
        f"{_people(t, tz)}{_best_hours(t)}"
        "</body></html>"
    )
