"""Synthetic but realistic activity: three users, four platforms, a mix of kinds and
directions, Zipf-ish counterparts and a few per cent of sales contacts.

Everything comes from seeded RNGs, so a run is reproducible given `now`.

Datasets (issue 5):
  S: `s_events` events over `history_days`;
  H: `h_events` events over `history_days` whose last `recent_days` hold exactly S's events
     of those days (S is generated first, then older events are added);
  D: `d_events` events, all within the last `d_days`;
  B: `b_events` events of one Bluesky-only user (Europe/Berlin, so the window holds both
     DST changes) within the last `b_days`, with Bluesky's own kind mix (issue 12).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple

PLATFORMS = ("x", "facebook", "linkedin", "instagram")
PLATFORM_WEIGHTS = (0.35, 0.15, 0.30, 0.20)
OLD_PLATFORMS = tuple(zip(PLATFORMS, PLATFORM_WEIGHTS, strict=True))  # S, H, D
CONTACTS = frozenset(
    {"post", "share", "reply", "mention", "direct_message", "comment", "wall_post"}
)

# (kind, direction, weight): ~76 % outbound, ~24 % inbound.
KIND_MIX = (
    ("like", "outbound", 0.22),
    ("follow", "outbound", 0.14),
    ("reply", "outbound", 0.09),
    ("comment", "outbound", 0.08),
    ("post", "outbound", 0.07),
    ("share", "outbound", 0.05),
    ("mention", "outbound", 0.04),
    ("direct_message", "outbound", 0.04),
    ("unfollow", "outbound", 0.02),
    ("wall_post", "outbound", 0.01),
    ("like", "inbound", 0.07),
    ("follow", "inbound", 0.05),
    ("reply", "inbound", 0.04),
    ("mention", "inbound", 0.03),
    ("direct_message", "inbound", 0.03),
    ("comment", "inbound", 0.02),
)
SALES_SHARE = {"post": 0.06, "direct_message": 0.08}  # other contact kinds: DEFAULT_SALES_SHARE
DEFAULT_SALES_SHARE = 0.03
EXTERNAL_ID_SHARE = 0.6  # events that came from an integration carry an external_id

# Bluesky (dataset B): likes dominate, reposts (share) and replies are common, quote posts
# count as posts, there are no wall posts and few DMs (chat is opt-in); ~80 % outbound.
BLUESKY_KIND_MIX = (
    ("like", "outbound", 0.30),
    ("reply", "outbound", 0.14),
    ("follow", "outbound", 0.12),
    ("post", "outbound", 0.10),
    ("share", "outbound", 0.07),
    ("mention", "outbound", 0.03),
    ("direct_message", "outbound", 0.02),
    ("unfollow", "outbound", 0.02),
    ("like", "inbound", 0.09),
    ("follow", "inbound", 0.04),
    ("reply", "inbound", 0.04),
    ("mention", "inbound", 0.02),
    ("direct_message", "inbound", 0.01),
)
B_USERS = (("Bea (Bluesky creator)", "Europe/Berlin", 1.0),)

# Users: name, IANA zone, share of all events.
USERS = (
    ("Ada (agency)", "Europe/Berlin", 0.5),
    ("Grace (founder)", "America/New_York", 0.3),
    ("Linus (consultant)", "UTC", 0.2),
)
TEXTED = frozenset({"post", "reply", "mention", "direct_message", "comment", "wall_post"})

_WORDS = [
    "great",
    "thread",
    "on",
    "community",
    "building",
    "thanks",
    "for",
    "sharing",
    "this",
    "insight",
    "really",
    "helpful",
    "we",
    "launched",
    "our",
    "new",
    "course",
    "today",
    "join",
    "the",
    "webinar",
    "next",
    "week",
    "happy",
    "to",
    "help",
    "with",
    "your",
    "question",
    "about",
    "pricing",
    "loved",
    "your",
    "talk",
    "let",
    "us",
    "connect",
    "soon",
    "here",
    "is",
    "the",
    "link",
    "to",
    "the",
    "article",
    "congrats",
    "on",
    "the",
    "new",
    "role",
    "any",
    "tips",
    "for",
    "growing",
    "an",
    "audience",
]


class Ev(NamedTuple):
    """One event; instants are integer microseconds since the Unix epoch (UTC)."""

    id: int  # 128-bit UUID4 value
    user: int  # index into USERS
    platform: str
    kind: str
    direction: str
    occurred_us: int
    counterpart: str | None
    is_sales: bool
    url: str | None
    text: str | None
    external_id: str | None
    created_us: int

    @property
    def occurred_at(self) -> datetime:
        return from_us(self.occurred_us)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _handles(rng: random.Random, n: int) -> list[str]:
    first = (
        "anna",
        "ben",
        "chloe",
        "dev",
        "emma",
        "felix",
        "gita",
        "hugo",
        "ines",
        "jon",
        "kai",
        "lena",
        "maya",
        "noah",
        "omar",
        "pia",
        "quinn",
        "rosa",
        "sam",
        "tara",
    )
    last = ("smith", "garcia", "chen", "muller", "rossi", "khan", "silva", "novak", "berg", "ito")
    seen: set[str] = set()
    out = []
    while len(out) < n:
        h = f"{rng.choice(first)}{rng.choice(('', '_', '.'))}{rng.choice(last)}{rng.randrange(1000)}"
        if h not in seen:
            seen.add(h)
            out.append(h)
    return out


class Generator:
    """One stream of events; `tag` keeps external ids of different streams apart."""

    def __init__(
        self,
        seed: int,
        tag: str,
        handles: int,
        now: datetime,
        platforms: tuple[tuple[str, float], ...] = OLD_PLATFORMS,
        kind_mix: tuple[tuple[str, str, float], ...] = KIND_MIX,
        users: tuple[tuple[str, str, float], ...] = USERS,
    ):
        self.rng = random.Random(f"{seed}-{tag}")
        self.platforms = tuple(p for p, _ in platforms)
        self.kind_mix = kind_mix
        self.users = users
        self.tag = tag
        self.now = now
        self.handles = _handles(random.Random(f"{seed}-handles"), handles)
        weights = [1.0 / (rank + 1) ** 1.07 for rank in range(handles)]
        self.handle_cum = list(accumulate(weights))
        self.kind_cum = list(accumulate(w for _, _, w in kind_mix))
        self.platform_cum = list(accumulate(w for _, w in platforms))
        self.user_cum = list(accumulate(u[2] for u in users))
        self.texts = [
            " ".join(self.rng.choices(_WORDS, k=self.rng.randint(6, 40))) for _ in range(400)
        ]
        self.serial = 0

    def _instant(self, start: int, span: int) -> int:
        rng = self.rng
        while True:
            t = start + int(rng.random() * span)
            # Fewer events at night (UTC 23:00–06:00): keep 30 % of them.
            hour = (t // 3_600_000_000) % 24
            if 6 <= hour < 23 or rng.random() < 0.3:
                return t

    def events(self, n: int, start: datetime, end: datetime) -> list[Ev]:
        """n events with occurred_at in [start, end), sorted by time (as they would arrive)."""
        rng = self.rng
        random_ = rng.random
        t0, span = to_us(start), to_us(end) - to_us(start)
        now_us = to_us(self.now)
        users = rng.choices(range(len(self.users)), cum_weights=self.user_cum, k=n)
        platforms = rng.choices(self.platforms, cum_weights=self.platform_cum, k=n)
        kinds = rng.choices(self.kind_mix, cum_weights=self.kind_cum, k=n)
        handles = rng.choices(self.handles, cum_weights=self.handle_cum, k=n)
        texts = rng.choices(self.texts, k=n)
        out = []
        tag = self.tag
        for i in range(n):
            kind, direction, _ = kinds[i]
            platform = platforms[i]
            ts = self._instant(t0, span)
            counterpart = (
                None if kind == "post" or (kind == "share" and random_() < 0.2) else handles[i]
            )
            is_sales = (
                direction == "outbound"
                and kind in CONTACTS
                and random_() < SALES_SHARE.get(kind, DEFAULT_SALES_SHARE)
            )
            self.serial += 1
            out.append(
                Ev(
                    (rng.getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC << 60)
                    | (0x8 << 60),
                    users[i],
                    platform,
                    kind,
                    direction,
                    ts,
                    counterpart,
                    is_sales,
                    f"https://{platform}.example/p/{tag}{self.serial}"
                    if kind in ("post", "share")
                    else None,
                    texts[i] if kind in TEXTED else None,
                    f"{tag}-{self.serial}" if random_() < EXTERNAL_ID_SHARE else None,
                    min(now_us, ts + int(random_() * 600_000_000)),
                )
            )
        out.sort(key=lambda e: e.occurred_us)
        return out


def dataset(name: str, sizes, now: datetime, seed: int) -> list[Ev]:
    day = timedelta(days=1)
    s = Generator(seed, "s", sizes.handles, now).events(
        sizes.s_events, now - sizes.history_days * day, now
    )
    if name == "S":
        return s
    if name == "H":
        recent_start = now - sizes.recent_days * day
        recent_us = to_us(recent_start)
        recent = [e for e in s if e.occurred_us >= recent_us]
        older = Generator(seed, "h", sizes.handles, now).events(
            sizes.h_events - len(recent), now - sizes.history_days * day, recent_start
        )
        return older + recent
    if name == "D":
        return Generator(seed, "d", sizes.handles, now).events(
            sizes.d_events, now - sizes.d_days * day, now
        )
    if name == "B":
        gen = Generator(
            seed,
            "b",
            sizes.handles,
            now,
            platforms=(("bluesky", 1.0),),
            kind_mix=BLUESKY_KIND_MIX,
            users=B_USERS,
        )
        return gen.events(sizes.b_events, now - sizes.b_days * day, now)
    raise ValueError(name)


def users_of(name: str) -> tuple[tuple[str, str, float], ...]:
    """The users (name, zone, share) of a dataset."""
    return B_USERS if name == "B" else USERS


def ingest_events(n: int, now: datetime, seed: int, handles: int) -> list[Ev]:
    """Events a CRM integration would send: within the last 365 days, each with an external_id."""
    gen = Generator(seed, "ing", handles, now)
    evs = gen.events(n, now - timedelta(days=365), now)
    return [e._replace(external_id=f"ing-{i}") for i, e in enumerate(evs)]


def rfc3339(us: int) -> str:
    return from_us(us).isoformat().replace("+00:00", "Z")


def sqlite_instant(us: int) -> str:
    """How SQLAlchemy's DateTime stores a naive UTC instant on SQLite."""
    t = from_us(us)
    return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}"


def api_body(e: Ev) -> dict:
    """The event as a client sends it (RFC 3339 with Z)."""
    body = {
        "platform": e.platform,
        "kind": e.kind,
        "direction": e.direction,
        "occurred_at": rfc3339(e.occurred_us),
        "is_sales": e.is_sales,
    }
    for key in ("counterpart", "url", "text", "external_id"):
        value = getattr(e, key)
        if value is not None:
            body[key] = value
    return body


def summary(events: list[Ev], users: tuple[tuple[str, str, float], ...] = USERS) -> dict:
    """Counts that show the mix is what it claims to be."""
    from collections import Counter

    kinds = Counter((e.kind, e.direction) for e in events)
    n = len(events) or 1
    contacts = [e for e in events if e.direction == "outbound" and e.kind in CONTACTS]
    return {
        "events": len(events),
        "first": rfc3339(events[0].occurred_us) if events else None,
        "last": rfc3339(events[-1].occurred_us) if events else None,
        "per_user": dict(sorted(Counter(users[e.user][0] for e in events).items())),
        "per_platform": dict(sorted(Counter(e.platform for e in events).items())),
        "inbound_share": round(sum(1 for e in events if e.direction == "inbound") / n, 3),
        "sales_share_of_contacts": round(
            sum(e.is_sales for e in contacts) / (len(contacts) or 1), 3
        ),
        "distinct_counterparts": len({e.counterpart for e in events if e.counterpart}),
        "kinds": {f"{k}/{d}": c for (k, d), c in sorted(kinds.items())},
    }
