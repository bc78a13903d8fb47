"""Text lengths in each platform's own unit (SPEC §9.3).

- ``weighted`` (x): the weighted length of twitter-text v3 (config/v3.json: scale 100,
  code points in the listed ranges weigh 100, others 200, so CJK counts 2; emoji sequences
  count 2 as one unit; every URL counts 23; text NFC-normalised first). Counted by the
  ``twitter-text-parser`` package, which passes the v3 conformance cases of
  twitter/twitter-text (``conformance/validate.yml``, WeightedTweetsWithDiscountedEmojiCounterTest;
  tests/calc/test_text_length.py runs them).
- ``graphemes`` (bluesky): extended grapheme clusters of UAX #29 (``regex``'s ``\\X``).
  Bluesky counts the text as sent; a grapheme count does not change under NFC anyway.
- ``utf16_code_units`` (tiktok): UTF-16 code units of the text as sent.
- ``chars`` (the rest): Unicode code points after NFC, so an NFC/NFD pair counts the same.
"""

from __future__ import annotations

import unicodedata
from functools import cache

# Neither package ships type information (and the dev extra pins no stubs for them).
import regex  # type: ignore[import-untyped]
from twitter_text import parse_tweet  # type: ignore[import-untyped]
from twitter_text.config import config as _twitter_configs  # type: ignore[import-untyped]

from app.calc.vocabulary import CHARS, GRAPHEMES, PLATFORM_PRESETS, UTF16, WEIGHTED

_GRAPHEME = regex.compile(r"\X")
_V3 = _twitter_configs["version3"]

UNIT_NAMES = {
    WEIGHTED: "weighted characters",
    GRAPHEMES: "graphemes",
    UTF16: "UTF-16 code units",
    CHARS: "characters",
}


def x_weighted_length(text: str) -> int:
    """The weighted length X counts (twitter-text v3)."""
    return int(parse_tweet(text, _V3).weightedLength)


def grapheme_count(text: str) -> int:
    return sum(1 for _ in _GRAPHEME.finditer(text))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def nfc_length(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


_COUNTERS = {
    WEIGHTED: x_weighted_length,
    GRAPHEMES: grapheme_count,
    UTF16: utf16_length,
    CHARS: nfc_length,
}


def length_in(text: str, unit: str) -> int:
    """``text``'s length in ``unit`` (one of the vocabulary's units)."""
    return _COUNTERS[unit](text)


@cache
def _limits(platform: str) -> tuple[int, str, int, str]:
    p = PLATFORM_PRESETS[platform]
    return p.text_limit, p.text_unit, p.bio_limit, p.bio_unit


def post_length(platform: str, text: str) -> tuple[int, int, str]:
    """(length, limit, unit) of a post's text on ``platform``."""
    limit, unit, _, _ = _limits(platform)
    return length_in(text, unit), limit, unit


def bio_length(platform: str, bio: str) -> tuple[int, int, str]:
    """(length, limit, unit) of a profile bio on ``platform``."""
    _, _, limit, unit = _limits(platform)
    return length_in(bio, unit), limit, unit


def unit_name(unit: str, n: int | None = None) -> str:
    """ "graphemes", or with ``n`` == 1 the singular ("1 grapheme")."""
    name = UNIT_NAMES[unit]
    return name[:-1] if n == 1 else name
