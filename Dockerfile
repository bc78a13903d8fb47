# A small non-root image that runs `rapport serve`.
# Point it at PostgreSQL with RAPPORT_DATABASE_URL=postgresql+psycopg://user:pass@host/db.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    RAPPORT_DATABASE_URL=sqlite:////data/rapport.db

WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 rapport \
    && mkdir -p /data && chown rapport /data

USER rapport
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["rapport", "serve", "--host", "0.0.0.0", "--port", "8000"]
