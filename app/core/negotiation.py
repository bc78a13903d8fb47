"""A small Accept-header negotiator: which of the media types a route offers fits best.

JSON stays the default: another type wins only when the client ranks it strictly higher
(by q value, then by how specifically the client named it) than application/json.
"""

JSON = "application/json"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(media: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """(q, specificity) of the most specific range matching ``media``; (0, -1) if none."""
    kind = media.split("/")[0]
    best = (0.0, -1)
    for pattern, q in ranges:
        if pattern == media:
            spec = 2
        elif pattern == f"{kind}/*":
            spec = 1
        elif pattern == "*/*":
            spec = 0
        else:
            continue
        if spec > best[1]:
            best = (q, spec)
    return best


def preferred(accept: str | None, offered: list[str]) -> str:
    """The media type to answer; ``offered[0]`` (JSON) unless another is strictly preferred."""
    if not accept:
        return offered[0]
    ranges = _ranges(accept)
    choice, best = offered[0], _quality(offered[0], ranges)
    for media in offered[1:]:
        q = _quality(media, ranges)
        if q[0] > 0 and (q[0], q[1]) > (best[0], best[1]):
            choice, best = media, q
    return choice
