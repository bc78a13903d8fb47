"""The ASGI entry point uvicorn imports (one app per worker process)."""

from app.core.config import get_settings
from app.main import create_app

# `rapport serve` runs the webhook worker in each process unless RAPPORT_EMBEDDED_WORKER=false.
app = create_app(run_worker=get_settings().embedded_worker)
