"""The weekly report page (issue 14), without a browser: what a person reads on it.

The hand-computed week of tests/knowledge/report_week.py (2026-W45, Europe/Berlin): the
page's figures are the JSON's, in local time and words, with charts that mark what is
wrong and say so in their <title> and aria-label; a new user's page says how to start.
"""

import re
from html.parser import HTMLParser

from tests.knowledge import report_week as W
from tests.knowledge.helpers import make_user

BAD = "#cf222e"


class Page(HTMLParser):
    """The visible text (outside <style>, <title> and SVG) and every SVG's elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.svgs: list[dict] = []
        self.metas: list[dict] = []
        self._skip = 0
        self._svg: dict | None = None
        self._tag_stack: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta":
            self.metas.append(a)
        if tag == "svg":
            self._svg = {"attrs": a, "rects": [], "texts": [], "titles": []}
        elif self._svg is not None and tag == "rect":
            self._svg["rects"].append(a)
        if tag in ("style", "title") or self._svg is not None:
            self._skip += 1
        self._tag_stack.append(tag)

    def handle_endtag(self, tag):
        if self._tag_stack:
            self._tag_stack.pop()
        if tag == "svg" and self._svg is not None:
            self.svgs.append(self._svg)
            self._svg = None
            self._skip = max(0, self._skip - 1)
        elif tag in ("style", "title") or self._svg is not None:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if self._svg is not None:
            key = "titles" if self._tag_stack and self._tag_stack[-1] == "title" else "texts"
            self._svg[key].append(data)
        elif not self._skip:
            self.text.append(data)

    @property
    def words(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def page_and_json(client, uid, week="2026-W45"):
    params = {"week": week} if week else {}
    html = client.get(
        f"/v1/users/{uid}/report", params=params, headers={"Accept": "text/html"}
    ).text
    return Page(html), html, client.get(f"/v1/users/{uid}/report", params=params).json()


def test_the_page_reads_as_words_in_local_time(client):
    page, html, _ = page_and_json(client, W.seed(client))
    words = page.words
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html.lower() and "@media print" in html
    assert "as of Sunday 8 November, 23:59, the week is complete" in words
    # No API codes, UTC timestamps or API wording in what a person reads.
    for raw in (
        "on_track",
        "over_limit",
        "bio_too_long",
        "missing_profile",
        "broadcast_heavy",
        "no_post",
        "PUT ",
        "22:59:59",
        ".999999",
    ):
        assert raw not in words, raw
    assert "The bio has 161 characters, over X's limit of 160: cut 1." in words
    assert "No LinkedIn profile yet: add one with your handle" in words
    assert "Slow down on X: 1 day over the limit this week" in words


def test_the_figures_on_the_page_are_the_json(client):
    page, _, doc = page_and_json(client, W.seed(client))
    words = page.words
    [f] = doc["follows"]
    assert f"{f['follows']} of {f['weekly_target']} people followed" in words
    assert f"{f['follows']} of your target of {f['weekly_target']}" in words
    for d in f["days"]:  # the table row of each day: quota, follows (! when over), cap, peak
        day = int(d["date"][-2:])
        follows = f"{d['follows']} !" if d["over_limit"] else str(d["follows"])
        assert f"{day} {d['quota']} {follows} {d['effective_cap']} {d['peak_burst']}" in words
    [p] = doc["posting"]
    assert f"{p['posts']} posts on {p['days_posted']} days; {p['missed_days']} days missed" in words
    g = doc["engagement"]
    assert f"{g['interactions']} interactions (replies, comments, messages) and " in words
    assert f"{round(g['interaction_share'] * 100)}% interaction" in words
    s = doc["sales_ratio"]
    assert f"{s['non_sales']} : {s['sales']} helpful to sales contacts" in words
    assert f"Before your next sales message: {s['non_sales_needed']} more helpful" in words
    st = doc["relationships"]
    assert f"{st['total']} people in your network" in words
    assert f"Like you {st['like']} they answered" in words
    for a in doc["next_actions"]:
        text = a["text"].replace(" x ", " X ").replace("linkedin", "LinkedIn").replace(" x:", " X:")
        text = re.sub(r"^x:", "X:", text)
        assert text[:1].upper() + text[1:] in words, text


def test_each_chart_says_what_it_shows_and_marks_what_is_wrong(client):
    page, _, doc = page_and_json(client, W.seed(client))
    follows, posts, engagement, sales = page.svgs
    for svg in page.svgs:
        assert svg["attrs"]["role"] == "img" and svg["attrs"]["aria-label"]
        assert svg["titles"][0] == svg["attrs"]["aria-label"]
        assert "viewbox" in svg["attrs"] and "width" not in svg["attrs"]  # scales to the page
    # Follows on x: the one over-limit day (Tuesday) is the one red bar, with a "!".
    over = [d for d in doc["follows"][0]["days"] if d["over_limit"]]
    red = [r for r in follows["rects"] if r.get("fill") == BAD]
    assert len(red) == len(over) == 1
    assert "4 !" in follows["texts"]
    assert "1 day over the limit (red)" in follows["attrs"]["aria-label"]
    # Posts on LinkedIn: the over-posting day is red, each missed day says "missed".
    p = doc["posting"][0]
    assert len([r for r in posts["rects"] if r.get("fill") == BAD]) == p["over_posting_days"] == 1
    assert posts["texts"].count("missed") == p["missed_days"] == 3
    assert (
        "maximum 2 a day dashed; 1 day over it (red); 3 days missed" in posts["attrs"]["aria-label"]
    )
    g = doc["engagement"]
    assert engagement["attrs"]["aria-label"] == (
        f"{g['interactions']} interactions and {g['broadcasts']} broadcasts: "
        f"{round(g['interaction_share'] * 100)}% interaction, target 50%"
    )
    s = doc["sales_ratio"]
    assert sales["attrs"]["aria-label"].startswith(
        f"{s['non_sales']} helpful contacts against 10 needed for 1 sales contact"
    )


def test_a_new_user_is_told_how_to_start(client):
    uid = make_user(client, "Newcomer", "UTC")
    page, _, _ = page_and_json(client, uid, week=None)
    words = page.words
    assert "There is nothing to report yet. To get started:" in words
    assert "Set a follow plan" in words and "Record what you do" in words
    assert "Nothing: keep going." not in words
    assert "No contacts recorded this week." in words
