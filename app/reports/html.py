"""The weekly report as a readable HTML page: no JavaScript, inline CSS and SVG.

Every value, user-provided or not, goes through ``html.escape`` before it reaches the page.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from app.reports.schemas import ReportOut

_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222}h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;
margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;
padding:.25rem .5rem;text-align:left}th{background:#f5f5f5}.bad{color:#b00020}
.muted{color:#666}svg{display:block;margin:.5rem 0}"""
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(rows: list[tuple[str, object]]) -> str:
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    return f"<table><tbody>{body}</tbody></table>"


def bar_chart(title: str, values: list[int], marks: list[int], mark_label: str) -> str:
    """Seven bars (Mon–Sun) with a dashed mark per day (quota or maximum)."""
    slot, top, plot, width = 48, 16, 100, 48 * 7 + 20
    scale = max([1, *values, *marks])
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + plot + 34}" '
            f'role="img" aria-label="{e(title)}"><title>{e(title)}</title>'
        )
    ]
    for i, (value, mark) in enumerate(zip(values, marks, strict=True)):
        x = 10 + i * slot
        h = round(plot * value / scale)
        y = top + plot - h
        parts.append(
            f'<rect x="{x + 8}" y="{y}" width="{slot - 16}" height="{h}" fill="#4a7fb5">'
            f"<title>{e(_DAYS[i])}: {e(value)}</title></rect>"
        )
        parts.append(
            f'<text x="{x + slot / 2}" y="{y - 3}" font-size="11" '
            f'text-anchor="middle">{e(value)}</text>'
        )
        my = top + plot - round(plot * mark / scale)
        parts.append(
            f'<line x1="{x + 2}" x2="{x + slot - 2}" y1="{my}" y2="{my}" stroke="#d08000" '
            f'stroke-width="2" stroke-dasharray="4 2"><title>{e(mark_label)} '
            f"{e(mark)}</title></line>"
        )
        parts.append(
            f'<text x="{x + slot / 2}" y="{top + plot + 14}" font-size="11" '
            f'text-anchor="middle">{e(_DAYS[i])}</text>'
        )
    parts.append(
        f'<text x="10" y="{top + plot + 30}" font-size="11" fill="#666">bars: '
        f"{e(title)}; dashed: {e(mark_label)}</text></svg>"
    )
    return "".join(parts)


def _profile(r: ReportOut) -> str:
    if not r.profile.platforms:
        return "<p>No profiles stored and none needed yet.</p>"
    rows = [
        [
            p.platform,
            p.handle or "(no profile)",
            p.bio_length,
            "; ".join(f"{f.code}: {f.detail}" for f in p.findings) or "fine",
        ]
        for p in r.profile.platforms
    ]
    return _table(["Platform", "Handle", "Bio length", "Findings"], rows)


def _follows(r: ReportOut) -> str:
    if not r.follows:
        return "<p>No follow plans.</p>"
    out = []
    for f in r.follows:
        out.append(
            f"<h3>{e(f.platform)}</h3>"
            + _pairs(
                [
                    ("Follows this week", f"{f.follows} of {f.weekly_target}"),
                    ("Still to go", f.remaining_to_target),
                    ("Over-limit days", f.over_limit_days),
                    ("Status", f.status),
                    ("Remaining today", f.remaining_today),
                ]
            )
        )
        out.append(
            bar_chart(
                f"follows per day on {f.platform}",
                [d.follows for d in f.days],
                [d.quota for d in f.days],
                "quota",
            )
        )
        out.append(
            _table(
                ["Date", "Quota", "Follows", "Cap", "Peak burst", "Over limit"],
                [
                    [
                        d.date,
                        d.quota,
                        d.follows,
                        d.effective_cap,
                        d.peak_burst,
                        "yes" if d.over_limit else "no",
                    ]
                    for d in f.days
                ],
            )
        )
    return "".join(out)


def _posting(r: ReportOut) -> str:
    if not r.posting:
        return "<p>No posting plans and no posts this week.</p>"
    out = []
    for p in r.posting:
        out.append(
            f"<h3>{e(p.platform)}</h3>"
            + _pairs(
                [
                    ("Posts", p.posts),
                    ("Days posted", p.days_posted),
                    ("Missed days", p.missed_days),
                    ("Over-posting days", p.over_posting_days),
                    ("Posts a day", f"{p.min_posts_per_day} to {p.max_posts_per_day}"),
                ]
            )
        )
        out.append(
            bar_chart(
                f"posts per day on {p.platform}",
                [d.posts for d in p.days],
                [p.max_posts_per_day] * len(p.days),
                "maximum a day",
            )
        )
    return "".join(out)


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _sales(r: ReportOut) -> str:
    s = r.sales_ratio
    ratio = "n/a" if s.ratio is None else f"{s.ratio:g}:1"
    out = _pairs(
        [
            ("Non-sales contacts", s.non_sales),
            ("Sales contacts", s.sales),
            ("Ratio", ratio),
            ("Required", f"{s.required_ratio:g}:1"),
            ("Compliant", "yes" if s.compliant else "no"),
            ("Sales contacts allowed now", s.sales_allowed_now),
            ("Non-sales contacts needed before the next sale", s.non_sales_needed),
        ]
    )
    if s.by_counterpart:
        out += "<p>People pitched too often:</p>" + _table(
            ["Counterpart", "Non-sales", "Sales", "Needed"],
            [[c.counterpart, c.non_sales, c.sales, c.non_sales_needed] for c in s.by_counterpart],
        )
    return out


def render(r: ReportOut, user_name: str) -> str:
    g = r.engagement
    stages = r.relationships
    actions = (
        "".join(f"<li>{e(a.text)}</li>" for a in r.next_actions) or "<li>Nothing: keep going.</li>"
    )
    return "".join(
        [
            (
                f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Rapport weekly '
                f"report {e(r.week)} for {e(user_name)}</title><style>{_CSS}</style></head><body>"
            ),
            (
                f'<h1>Weekly report {e(r.week)}</h1><p class="muted">{e(user_name)} · {e(r.first_day)} '
                f"to {e(r.last_day)} ({e(r.timezone)}) · as of {e(_utc(r.as_of))}"
                f"{'' if r.complete else ' (week in progress)'}</p>"
            ),
            f"<h2>Next actions</h2><ol>{actions}</ol>",
            f"<h2>1. Put yourself out there: profiles</h2>{_profile(r)}",
            f"<h2>2. Reach out: follows</h2>{_follows(r)}",
            f"<h2>3. Share daily: posting</h2>{_posting(r)}",
            "<h2>4. Interact: engagement</h2>"
            + _pairs(
                [
                    ("Broadcasts", g.broadcasts),
                    ("Interactions", g.interactions),
                    ("Inbound", g.inbound),
                    ("People engaged", g.people_engaged),
                    ("Interaction share", _share(g.interaction_share)),
                    ("Target", _share(g.interaction_share_target)),
                    ("Flags", ", ".join(g.flags) or "none"),
                ]
            ),
            f"<h2>5. Help, don't spam: sales ratio</h2>{_sales(r)}",
            "<h2>Know, like, trust</h2>"
            + _pairs(
                [
                    ("Know", stages.know),
                    ("Like", stages.like),
                    ("Trust", stages.trust),
                    ("Stale", stages.stale),
                    ("Total", stages.total),
                ]
            ),
            "</body></html>",
        ]
    )
