"""The weekly report as a page a coach would hand a customer: no JavaScript, inline CSS and
SVG (``app.reports.charts``), readable from a 390 px phone to a 1280 px screen, printable.

Times are local to the user's zone, codes become words, and the actions are phrased for a
person (the API's wording stays in the JSON). Every value goes through ``html.escape``.
"""

import re
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.profiles.check import FindingOut, PlatformProfileCheck
from app.reports.charts import BAD, GOOD, OK, Bar, compare_bars, e, share_bar, week_bars
from app.reports.schemas import FollowWeekOut, PostingWeekOut, ReportOut

_CSS = """*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:52rem;margin:0 auto;
padding:1.25rem 1rem 3rem;color:#1f2328;line-height:1.5;overflow-wrap:anywhere}
h1{font-size:1.7rem;margin:0 0 .25rem;line-height:1.2}h2{font-size:1.2rem;margin:2rem 0 .5rem;
padding-bottom:.25rem;border-bottom:2px solid #d0d7de}h3{font-size:1.05rem;margin:1.25rem 0 .25rem}
p{margin:.4rem 0}.muted{color:#59636e}.bad{color:#cf222e;font-weight:600}
.good{color:#1a7f37;font-weight:600}.glance{display:grid;gap:.5rem;padding:0;list-style:none;
grid-template-columns:repeat(auto-fit,minmax(9rem,1fr))}.glance li{border:1px solid #d0d7de;
border-radius:.5rem;padding:.5rem .75rem}.glance b{display:block;font-size:1.35rem}
ol.todo{padding-left:1.4rem}ol.todo li{margin:.3rem 0}svg.chart{display:block;width:100%;
max-width:36rem;height:auto;margin:.5rem 0}table{border-collapse:collapse;width:100%;
max-width:36rem;margin:.5rem 0;font-size:.95rem}td,th{border-bottom:1px solid #eaeef2;
padding:.3rem .35rem;text-align:left;overflow-wrap:normal}th{font-weight:600;color:#59636e}td.n,th.n{text-align:right;
font-variant-numeric:tabular-nums}.legend{font-size:.85rem;color:#59636e}
.key{display:inline-block;width:.8rem;height:.8rem;vertical-align:-.1rem;margin-right:.25rem}
footer{margin-top:2.5rem;font-size:.85rem;color:#59636e}
@media print{body{max-width:none;padding:0;font-size:11pt}h2{break-after:avoid}
svg.chart,table,.glance li{break-inside:avoid}a{color:inherit}}"""

PLATFORM_NAMES = {
    "x": "X",
    "linkedin": "LinkedIn",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "bluesky": "Bluesky",
    "threads": "Threads",
    "mastodon": "Mastodon",
    "tiktok": "TikTok",
}
STATUS_WORDS = {
    "on_track": "on track",
    "ahead": "ahead of plan",
    "behind": "behind plan",
    "over_limit": "over the limit",
}


def platform_name(code: str) -> str:
    return PLATFORM_NAMES.get(code, code)


def _n(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _day(d: date) -> str:
    return d.strftime("%a %d").replace(" 0", " ")


def _long_day(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def _local(instant: datetime, tz: ZoneInfo) -> str:
    t = instant.astimezone(tz)
    return f"{t:%A} {t.day} {t:%B}, {t:%H:%M}"


def for_a_person(text: str, platform: str | None) -> str:
    """An action's sentence for the page: the platform's name, a capital first letter."""
    if platform:
        text = re.sub(rf"\b{re.escape(platform)}\b", platform_name(platform), text)
    return text[:1].upper() + text[1:]


def finding_words(p: PlatformProfileCheck, f: FindingOut) -> str:
    name = platform_name(p.platform)
    length, most, least = p.bio_length, p.bio_max_length, p.bio_min_length
    words = {
        "missing_profile": f"No {name} profile yet: add one with your handle and a short bio "
        "about how you help people.",
        "missing_photo": "No profile photo: add a clear photo of your face.",
        "photo_not_smiling": "Use a photo where you smile: people connect with a friendly face.",
        "missing_bio": f"No bio yet: write {least} to {most} characters about how you help.",
        "bio_too_short": f"The bio has {length} characters: add at least "
        f"{least - (length or 0)} (the minimum is {least}).",
        "bio_too_long": f"The bio has {length} characters, over {name}'s limit of {most}: "
        f"cut {(length or 0) - most}.",
    }
    return words.get(f.code, f.detail)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, v: str) -> str:
        return f'<{tag} class="n">{v}</{tag}>' if i in numeric else f"<{tag}>{v}</{tag}>"

    head = "".join(cell("th", i, e(h)) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _has_data(r: ReportOut) -> bool:
    g, s = r.engagement, r.sales_ratio
    return bool(
        r.follows
        or r.posting
        or r.profile.platforms
        or g.broadcasts
        or g.interactions
        or g.inbound
        or s.non_sales
        or s.sales
        or r.relationships.total
    )


def _actions(r: ReportOut) -> str:
    if not _has_data(r):
        return (
            "<p>There is nothing to report yet. To get started:</p><ol class=todo>"
            "<li>Add your profile on each platform you use: your handle, a bio and a photo.</li>"
            "<li>Set a follow plan (how many people to follow a week) and a posting plan "
            "(how often to post).</li>"
            "<li>Record what you do, follows, posts, replies and messages, as you go "
            "(or import them as CSV).</li></ol>"
            "<p>Next week's report will show how you are doing against your plan.</p>"
        )
    if not r.next_actions:
        return "<p>Nothing needs fixing this week: keep going.</p>"
    items = "".join(f"<li>{e(for_a_person(a.text, a.platform))}</li>" for a in r.next_actions)
    return f"<ol class=todo>{items}</ol>"


def _glance(r: ReportOut) -> str:
    cards = []
    follows = sum(f.follows for f in r.follows)
    target = sum(f.weekly_target for f in r.follows)
    if r.follows:
        cards.append((f"{follows} of {target}", "people followed"))
    if r.posting:
        cards.append((str(sum(p.posts for p in r.posting)), "posts and shares"))
    share = r.engagement.interaction_share
    cards.append(
        ("–" if share is None else f"{share * 100:.0f}%", "of your activity was interaction")
    )
    s = r.sales_ratio
    cards.append((f"{s.non_sales} : {s.sales}", "helpful to sales contacts"))
    items = "".join(f"<li><b>{e(v)}</b>{e(label)}</li>" for v, label in cards)
    return f"<ul class=glance>{items}</ul>"


def _profiles(r: ReportOut) -> str:
    if not r.profile.platforms:
        return "<p>No profiles yet. Add one for each platform you use.</p>"
    out = []
    for p in r.profile.platforms:
        name = platform_name(p.platform)
        title = f"{name} (@{p.handle})" if p.handle else name
        if not p.findings:
            out.append(f"<p><b>{e(title)}</b>: <span class=good>complete</span>.</p>")
            continue
        items = "".join(f"<li>{e(finding_words(p, f))}</li>" for f in p.findings)
        out.append(
            f"<p><b>{e(title)}</b>: {e(_n(len(p.findings), 'thing'))} to fix</p><ul>{items}</ul>"
        )
    return "".join(out)


def _follow_section(f: FollowWeekOut) -> str:
    name = platform_name(f.platform)
    over = f.over_limit_days
    status = STATUS_WORDS.get(f.status, f.status)
    summary = (
        f"<p>{e(f.follows)} of your target of {e(f.weekly_target)} "
        f"({e(status)}; {e(f.remaining_to_target)} to go). Safe pace: at most "
        f"{e(f.daily_cap)} a day and {e(f.burst_limit)} in {e(f.burst_window_minutes)} minutes."
        + (f" <span class=bad>Over the limit on {e(_n(over, 'day'))}.</span>" if over else "")
        + "</p>"
    )
    bars = [
        Bar(
            _day(d.date)[:3],
            d.follows,
            wrong=d.over_limit,
            mark=d.quota,
            tip=f"{_day(d.date)}: {d.follows} follows, quota {d.quota}"
            + (", over the limit" if d.over_limit else ""),
        )
        for d in f.days
    ]
    title = (
        f"Follows per day on {name}: "
        + ", ".join(f"{_day(d.date)}: {d.follows}" for d in f.days)
        + "; quota dashed"
        + (f"; {_n(over, 'day')} over the limit (red)" if over else "")
    )
    rows = [
        [
            e(_day(d.date)),
            e(d.quota),
            f"<span class=bad>{e(d.follows)} !</span>" if d.over_limit else e(d.follows),
            e(d.effective_cap),
            e(d.peak_burst),
        ]
        for d in f.days
    ]
    table = _table(
        ["Day", "Quota", "Follows", "Cap", f"Peak {f.burst_window_minutes} min"],
        rows,
        {1, 2, 3, 4},
    )
    if over:
        table += (
            "<p class=legend>! over the limit: more than the cap in a day, or more than "
            f"{e(f.burst_limit)} in {e(f.burst_window_minutes)} minutes</p>"
        )
    return f"<h3>{e(name)}</h3>{summary}{week_bars(title, bars, 'quota')}{table}"


def _posting_section(p: PostingWeekOut) -> str:
    name = platform_name(p.platform)
    bits = [f"{_n(p.posts, 'post')} on {_n(p.days_posted, 'day')}"]
    if p.missed_days:
        bits.append(f"{_n(p.missed_days, 'day')} missed")
    if p.over_posting_days:
        bits.append(f"{_n(p.over_posting_days, 'day')} over the maximum of {p.max_posts_per_day}")
    plan = (
        f"your plan: {p.min_posts_per_day} to {p.max_posts_per_day} a day"
        if p.min_posts_per_day
        else f"your plan: at most {p.max_posts_per_day} a day"
    )
    wrong = p.missed_days or p.over_posting_days
    summary = (
        f"<p{' class=bad' if wrong else ''}>{e('; '.join(bits))}</p><p class=muted>{e(plan)}</p>"
    )
    bars = []
    for d in p.days:
        notes = []
        if "over_posting" in d.flags:
            notes.append("over the maximum")
        if "burst" in d.flags:
            notes.append("two posts too close together")
        if "no_post" in d.flags:
            notes.append("missed")
        bars.append(
            Bar(
                _day(d.date)[:3],
                d.posts,
                wrong="over_posting" in d.flags,
                missed="no_post" in d.flags,
                mark=p.max_posts_per_day,
                tip=f"{_day(d.date)}: {_n(d.posts, 'post')}"
                + (f", {', '.join(notes)}" if notes else ""),
            )
        )
    title = (
        f"Posts per day on {name}: "
        + ", ".join(f"{_day(d.date)}: {d.posts}" for d in p.days)
        + f"; maximum {p.max_posts_per_day} a day dashed"
        + (f"; {_n(p.over_posting_days, 'day')} over it (red)" if p.over_posting_days else "")
        + (f"; {_n(p.missed_days, 'day')} missed" if p.missed_days else "")
    )
    return f"<h3>{e(name)}</h3>{summary}{week_bars(title, bars, 'maximum a day')}"


def _engagement(r: ReportOut) -> str:
    g = r.engagement
    share = (
        "no activity yet" if g.interaction_share is None else f"{g.interaction_share * 100:.0f}%"
    )
    target = g.interaction_share_target
    title = (
        f"{g.interactions} interactions and {g.broadcasts} broadcasts: {share} interaction, "
        f"target {target * 100:.0f}%"
    )
    if g.broadcasts + g.interactions == 0:
        return (
            f"<p>No posts, replies or messages recorded this week; "
            f"{e(_n(g.inbound, 'reply or reaction', 'replies and reactions'))} came in.</p>"
        )
    low = "broadcast_heavy" in g.flags
    verdict = (
        f"<p class=bad>Mostly broadcasting: reply, comment and message more (target "
        f"{target * 100:.0f}% interaction).</p>"
        if low
        else ""
    )
    return (
        f"<p>{e(_n(g.interactions, 'interaction'))} (replies, comments, messages) and "
        f"{e(_n(g.broadcasts, 'broadcast'))} (posts, shares): {e(share)} interaction. "
        f"{e(_n(g.inbound, 'reply or reaction', 'replies and reactions'))} came back, from "
        f"the {e(_n(g.people_engaged, 'person', 'people'))} you talked with.</p>{verdict}"
        + share_bar(
            title,
            [("interactions", g.interactions, GOOD), ("broadcasts", g.broadcasts, OK)],
            target,
        )
        + '<p class=legend><span class=key style="background:#1a7f37"></span>interactions '
        '<span class=key style="background:#2f6fb0"></span>broadcasts '
        '<span class=key style="background:#bf8700"></span>target</p>'
    )


def _sales(r: ReportOut) -> str:
    s = r.sales_ratio
    need = round(s.required_ratio * s.sales)
    ok = s.compliant
    if s.non_sales + s.sales == 0:
        return "<p>No contacts recorded this week.</p>"
    ratio = (
        f"{_n(s.non_sales, 'helpful contact')} and no sales contacts"
        if s.ratio is None
        else f"{s.ratio:g} to 1"
    )
    verdict = (
        f"<p class=good>Good balance: {e(ratio)}; at least {s.required_ratio:g} to 1 is the goal."
        f" Before your next sales message: {e(_n(s.non_sales_needed, 'more helpful contact'))}."
        "</p>"
        if ok
        else f"<p class=bad>Too much selling: {e(ratio)}. Make {e(s.non_sales_needed)} more "
        f"helpful contacts before your next sales message.</p>"
    )
    title = (
        f"{s.non_sales} helpful contacts against {need} needed for {_n(s.sales, 'sales contact')}"
        f" ({s.required_ratio:g} for each)" + ("" if ok else ": not enough (red)")
    )
    chart = compare_bars(
        title,
        [
            ("helpful contacts", s.non_sales, GOOD if ok else BAD),
            (f"needed for {_n(s.sales, 'sale')}", need, OK),
            ("sales contacts", s.sales, OK),
        ],
    )
    people = ""
    if s.by_counterpart:
        rows = [
            [e(c.counterpart), e(c.non_sales), e(c.sales), e(c.non_sales_needed)]
            for c in s.by_counterpart
        ]
        people = "<p>People you pitched too often:</p>" + _table(
            ["Who", "Helpful", "Sales", "Helpful needed"], rows, {1, 2, 3}
        )
    return verdict + chart + people


def _relationships(r: ReportOut) -> str:
    st = r.relationships
    rows = [
        [e("Know you"), e(st.know), e("you reached out; no answer yet")],
        [e("Like you"), e(st.like), e("they answered at least once")],
        [e("Trust you"), e(st.trust), e("they answer often, on several days")],
        [e("To get back in touch with"), e(st.stale), e("no contact for a while")],
    ]
    return f"<p>{e(_n(st.total, 'person', 'people'))} in your network.</p>" + _table(
        ["", "People", ""], rows, {1}
    )


def render(r: ReportOut, user_name: str) -> str:
    tz = ZoneInfo(r.timezone)
    week_no = r.week.split("-W")[1].lstrip("0")
    period = f"{_long_day(r.first_day)} to {_long_day(r.last_day)}"
    state = "the week is complete" if r.complete else "the week is still in progress"
    follows = "".join(_follow_section(f) for f in r.follows) or (
        "<p>No follow plan yet: set how many people you want to follow each week.</p>"
    )
    posting = "".join(_posting_section(p) for p in r.posting) or (
        "<p>No posting plan and no posts this week: share something every day.</p>"
    )
    return "".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Your week {e(r.week)}, {e(user_name)}</title><style>{_CSS}</style>"
            "</head><body>",
            f"<header><h1>Your week, {e(user_name)}</h1><p class=muted>Week {e(week_no)}: "
            f"{e(period)}. Times in {e(r.timezone)}; as of {e(_local(r.as_of, tz))}, "
            f"{e(state)}.</p></header>",
            _glance(r) if _has_data(r) else "",
            f"<h2>What to do next</h2>{_actions(r)}",
            f"<h2>1. Your profiles</h2>{_profiles(r)}",
            f"<h2>2. Reaching out</h2>{follows}",
            f"<h2>3. Sharing</h2>{posting}",
            f"<h2>4. Interacting</h2>{_engagement(r)}",
            f"<h2>5. Helping, not selling</h2>{_sales(r)}",
            f"<h2>Your relationships</h2>{_relationships(r)}",
            "<footer>Prepared by Rapport from what you recorded this week.</footer>",
            "</body></html>",
        ]
    )
