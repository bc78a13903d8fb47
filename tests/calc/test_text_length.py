"""Text lengths in each platform's unit (SPEC §9.3)."""

import json
import unicodedata
from pathlib import Path

import pytest
from twitter_text import parse_tweet
from twitter_text.config import config as twitter_configs

from app.calc.post_limits import text_reason
from app.calc.profile_findings import profile_findings
from app.calc.text_length import (
    grapheme_count,
    length_in,
    nfc_length,
    post_length,
    utf16_length,
    x_weighted_length,
)

CONFORMANCE = json.loads(
    (Path(__file__).parent / "data" / "twitter_text_v3_conformance.json").read_text("utf-8")
)

FAMILY = (
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man ZWJ woman ZWJ girl ZWJ boy
)
FLAG = "\U0001f1ef\U0001f1f5"  # regional indicators J P


@pytest.mark.parametrize("case", CONFORMANCE["cases"], ids=lambda c: c["description"][:60])
def test_x_weighted_length_passes_twitter_texts_v3_conformance_cases(case):
    assert x_weighted_length(case["text"]) == case["weightedLength"]
    assert parse_tweet(case["text"], twitter_configs["version3"]).valid == case["valid"]


def test_x_counts_urls_23_cjk_2_emoji_2():
    assert x_weighted_length("https://example.com/a/very/long/path?with=query&and=more") == 23
    assert x_weighted_length("see example.com") == 4 + 23
    assert x_weighted_length("日本語") == 6
    assert x_weighted_length("저찀") == 4
    assert x_weighted_length("\U0001f431") == 2
    assert x_weighted_length(FAMILY) == 2  # one emoji sequence
    assert x_weighted_length("abc") == 3


def test_x_280_passes_and_281_fails():
    ok = "日" * 140  # 280
    assert post_length("x", ok) == (280, 280, "weighted")
    assert text_reason("x", ok) is None
    over = ok + "a"  # 281
    reason = text_reason("x", over)
    assert reason is not None and reason.code == "text_too_long"
    assert reason.detail.startswith("281 of 280 weighted characters")
    with_url = "a" * 256 + " https://example.com/" + "x" * 100  # 256 + 1 + 23 = 280
    assert x_weighted_length(with_url) == 280 and text_reason("x", with_url) is None
    assert text_reason("x", "a" + with_url) is not None


def test_bluesky_counts_graphemes():
    assert grapheme_count(FAMILY) == 1
    assert grapheme_count(FLAG) == 1
    assert grapheme_count("e\u0301") == 1  # e + combining acute
    assert grapheme_count("\r\n") == 1
    assert post_length("bluesky", FAMILY * 300) == (300, 300, "graphemes")
    assert text_reason("bluesky", FAMILY * 300) is None
    reason = text_reason("bluesky", "a" * 312)
    assert reason is not None and reason.detail.startswith("312 of 300 graphemes")
    # the same family emoji is 7 code points and 11 UTF-16 code units
    assert (nfc_length(FAMILY), utf16_length(FAMILY)) == (7, 11)


def test_nfc_and_nfd_count_the_same():
    nfc = "Café crème brûlée, Ångström"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd and len(nfd) > len(nfc)
    for unit in ("chars", "graphemes", "weighted"):
        assert length_in(nfc, unit) == length_in(nfd, unit), unit
    assert nfc_length(nfd) == len(nfc)
    # a bio of 101 "é" written decomposed is 101 characters on facebook, at its limit
    assert profile_findings("facebook", "e\u0301" * 101, "https://e.com/p.jpg", True) == []
    assert [
        f.code for f in profile_findings("facebook", "e\u0301" * 102, "https://e.com/p.jpg", True)
    ] == ["bio_too_long"]


def test_tiktok_counts_utf16_code_units():
    assert utf16_length("\U0001f431") == 2 and utf16_length("é") == 1
    assert post_length("tiktok", "\U0001f431" * 1100) == (2200, 2200, "utf16_code_units")
    assert text_reason("tiktok", "\U0001f431" * 1100) is None
    reason = text_reason("tiktok", "\U0001f431" * 1100 + "a")
    assert reason is not None and reason.detail.startswith("2,201 of 2,200 UTF-16 code units")


@pytest.mark.parametrize(
    ("platform", "limit"),
    [
        ("facebook", 63206),
        ("linkedin", 3000),
        ("instagram", 2200),
        ("threads", 500),
        ("mastodon", 500),
    ],
)
def test_code_point_platforms(platform, limit):
    assert text_reason(platform, "\U0001f431" * limit) is None  # one code point each
    assert text_reason(platform, "\U0001f431" * (limit + 1)) is not None


def test_bluesky_bio_in_graphemes():
    bio = FAMILY * 256
    assert profile_findings("bluesky", bio, "https://e.com/p.jpg", True) == []
    [finding] = profile_findings("bluesky", bio + "a", "https://e.com/p.jpg", True)
    assert finding.code == "bio_too_long" and (finding.length, finding.limit) == (257, 256)
    assert "257 graphemes" in finding.detail and "cut 1 grapheme" in finding.detail
    # tiktok 80, threads 150, mastodon 500 characters
    for platform, limit in (("tiktok", 80), ("threads", 150), ("mastodon", 500)):
        assert profile_findings(platform, "b" * limit, "https://e.com/p.jpg", True) == []
        assert [f.code for f in profile_findings(platform, "b" * (limit + 1), "u", True)] == [
            "bio_too_long"
        ]
