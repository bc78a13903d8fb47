"""CORS (§13): Starlette's middleware for the origins of ``RAPPORT_CORS_ORIGINS``; a
refused preflight is a problem+json like every other error (Starlette answers plain text)."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from app.core.errors import CORS_REFUSED

# Headers a page may read from an answer (§13), besides the CORS-safelisted ones.
EXPOSED_HEADERS = ("RateLimit", "RateLimit-Policy", "Retry-After", "Request-Id", "Location")
# Headers a page may send, besides the safelisted ones (Starlette adds Accept,
# Accept-Language, Content-Language and Content-Type).
ALLOWED_HEADERS = ("Authorization", "Idempotency-Key", "Request-Id", "X-Request-Id")
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class RapportCORSMiddleware(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            # API keys travel in Authorization, never in cookies.
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode(errors="replace").removeprefix("Disallowed CORS ")
        problem = CORS_REFUSED.response(
            f"This preflight is refused: its {refused} may not call this API from a browser. "
            "Allowed origins are set by the operator (RAPPORT_CORS_ORIGINS); methods are "
            f"{', '.join(ALLOWED_METHODS)}; headers are {', '.join(ALLOWED_HEADERS)} and "
            "the CORS-safelisted ones.",
        )
        # Vary: Origin and the like, as Starlette would have sent them.
        for name, value in response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                problem.headers.setdefault(name, value)
        return problem
