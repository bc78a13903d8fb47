"""Query strings: a parameter the route does not declare is a 422, not silently ignored.

Without this, ``?platfrom=x`` (a typo) answers every platform's data as if no filter had
been asked. The check reads the names each route declares (its own and its dependencies'
query parameters, by alias: ``from``, not ``from_``) from FastAPI's dependency tree, once
per route, and names the closest known parameter (difflib) in the problem.
"""

import difflib
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant

from app.core.errors import validation_problem

_KNOWN: dict[int, tuple[Any, frozenset[str]]] = {}


def _declared(dependant: Dependant) -> frozenset[str]:
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        names.update(field.alias for field in current.query_params)
        stack.extend(current.dependencies)
    return frozenset(names)


def _known_for(route: Any) -> frozenset[str] | None:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    cached = _KNOWN.get(id(route))
    if cached is None or cached[0] is not route:
        cached = _KNOWN[id(route)] = (route, _declared(dependant))
    return cached[1]


def unknown_query_item(name: str, known: frozenset[str]) -> dict[str, Any]:
    shown = name[:64]
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif known:
        hint = f"this route takes {', '.join(sorted(known))}"
    else:
        hint = "this route takes no query parameters"
    return {
        "parameter": shown,
        "in": "query",
        "detail": f"{shown} is not a query parameter of this route; {hint}",
    }


async def reject_unknown_query(request: Request) -> None:
    """App-wide dependency: 422 naming each query parameter the route does not declare."""
    if not request.query_params:
        return
    known = _known_for(request.scope.get("route"))
    if known is None:
        return
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in known]
    if unknown:
        raise validation_problem([unknown_query_item(name, known) for name in unknown])
