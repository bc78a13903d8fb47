"""Inline SVG charts of the weekly report page: no JavaScript, each one an image with a
``<title>`` and an ``aria-label`` that say in words what it shows, what is wrong included.

Colours: blue for what is fine, red for what is over a limit, a hollow grey box for a
missed day; the words (a "!" above a bar, "missed" under a day) carry the same meaning
for readers who do not see colour. Sizes are a viewBox: the page scales them to its width.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

OK = "#2f6fb0"
BAD = "#cf222e"
GOOD = "#1a7f37"
MUTED = "#8c959f"
MARK = "#bf8700"


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Bar:
    label: str  # "Mon"
    value: int
    wrong: bool = False  # over a cap or a maximum: red, with a "!"
    missed: bool = False  # a day without the minimum: a hollow box and "missed"
    mark: int | None = None  # a dashed mark: the day's quota or maximum
    tip: str = ""  # the bar's own <title>


def week_bars(title: str, bars: Sequence[Bar], mark_name: str) -> str:
    """One bar a day with the day's mark (a dashed line)."""
    slot, top, plot = 52, 22, 110
    width, height = 20 + slot * len(bars), top + plot + 36
    scale = max([1, *(b.value for b in bars), *(b.mark or 0 for b in bars)])
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{e(title)}"><title>{e(title)}</title>'
    ]
    base = top + plot
    for i, b in enumerate(bars):
        x = 10 + i * slot
        h = round(plot * b.value / scale)
        colour = BAD if b.wrong else OK
        tip = f"<title>{e(b.tip or f'{b.label}: {b.value}')}</title>"
        if b.value:
            parts.append(
                f'<rect x="{x + 9}" y="{base - h}" width="{slot - 18}" height="{h}" '
                f'fill="{colour}">{tip}</rect>'
            )
        elif b.missed:
            parts.append(
                f'<rect x="{x + 9}" y="{base - 14}" width="{slot - 18}" height="14" fill="none" '
                f'stroke="{MUTED}" stroke-dasharray="3 2">{tip}</rect>'
            )
        label = f"{b.value}{' !' if b.wrong else ''}"
        parts.append(
            f'<text x="{x + slot / 2}" y="{base - h - 4}" font-size="12" text-anchor="middle" '
            f'fill="{BAD if b.wrong else "#1f2328"}">{e(label)}</text>'
        )
        if b.mark is not None:
            my = base - round(plot * b.mark / scale)
            parts.append(
                f'<line x1="{x + 3}" x2="{x + slot - 3}" y1="{my}" y2="{my}" stroke="{MARK}" '
                f'stroke-width="2" stroke-dasharray="5 3"><title>{e(mark_name)} {e(b.mark)}'
                "</title></line>"
            )
        parts.append(
            f'<text x="{x + slot / 2}" y="{base + 15}" font-size="12" '
            f'text-anchor="middle">{e(b.label)}</text>'
        )
        if b.missed:
            parts.append(
                f'<text x="{x + slot / 2}" y="{base + 30}" font-size="11" fill="{MUTED}" '
                'text-anchor="middle">missed</text>'
            )
    parts.append(f'<line x1="6" x2="{width - 6}" y1="{base}" y2="{base}" stroke="#d0d7de"/></svg>')
    return "".join(parts)


def share_bar(title: str, parts_: Sequence[tuple[str, int, str]], target: float | None) -> str:
    """One horizontal bar split into parts (label, count, colour), with a target share as a
    vertical mark (0–1) when given."""
    width, left, bar_w, height = 420, 6, 408, 64
    total = sum(n for _, n, _ in parts_)
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{e(title)}"><title>{e(title)}</title>'
    ]
    if total == 0:
        out.append(
            f'<rect x="{left}" y="10" width="{bar_w}" height="24" fill="none" stroke="{MUTED}" '
            f'stroke-dasharray="3 2"/><text x="{left + 8}" y="27" font-size="12" '
            f'fill="{MUTED}">nothing recorded</text>'
        )
    x = float(left)
    for label, n, colour in parts_:
        if not total or not n:
            continue
        w = bar_w * n / total
        out.append(
            f'<rect x="{x:.1f}" y="10" width="{w:.1f}" height="24" fill="{colour}">'
            f"<title>{e(label)}: {e(n)}</title></rect>"
        )
        if w > 110:
            out.append(
                f'<text x="{x + 6:.1f}" y="27" font-size="14" fill="#fff">{e(label)} {e(n)}</text>'
            )
        x += w
    if target is not None:
        tx = left + bar_w * target
        out.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="4" y2="40" stroke="{MARK}" stroke-width="3">'
            f"<title>target {target * 100:.0f}%</title></line>"
            f'<text x="{min(tx, width - 80):.1f}" y="56" font-size="14" fill="#59636e">'
            f"target {target * 100:.0f}%</text>"
        )
    out.append("</svg>")
    return "".join(out)


def compare_bars(title: str, rows: Sequence[tuple[str, int, str]]) -> str:
    """Horizontal bars to compare a few counts (label, count, colour), on one scale."""
    width, left, bar_w, row_h = 420, 150, 230, 30
    scale = max([1, *(n for _, n, _ in rows)])
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{row_h * len(rows) + 8}" role="img" aria-label="{e(title)}"><title>{e(title)}</title>'
    ]
    for i, (label, n, colour) in enumerate(rows):
        y = 4 + i * row_h
        w = bar_w * n / scale
        out.append(
            f'<text x="0" y="{y + 17}" font-size="14">{e(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="20" fill="{colour}">'
            f"<title>{e(label)}: {e(n)}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 17}" font-size="14">{e(n)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
