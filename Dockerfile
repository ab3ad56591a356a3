# syntax=docker/dockerfile:1
# The production image: the API and dbmate, no embedded database. It expects DATABASE_URL
# and a JWT_SECRET of its own; migrate with the same image: `dbmate --wait up`.
# Dependencies come from requirements.lock, every one pinned and hash-checked (README,
# "Deployment"); the base image is pinned to a Python minor and a Debian release.

FROM python:3.12-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
# dependencies only (a layer that changes when the lock does), each checked against its hash
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --only-binary=:all: -r /tmp/requirements.lock
# then the project itself, resolving nothing: an editable install whose code stays in /app
# (app/ reads queries/ and db/ beside it), giving the `kinetria` command and its metadata
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-deps --editable . \
 && /opt/venv/bin/python -m compileall -q /app/app

FROM python:3.12-slim-bookworm AS runtime
# a fixed numeric user, so Kubernetes' runAsNonRoot can check it (deploy/k8s runAsUser)
RUN groupadd --system --gid 10001 kinetria \
 && useradd --system --uid 10001 --gid kinetria --home-dir /app kinetria
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /app /app
COPY queries ./queries
COPY db ./db
# the source revision for kinetria_build_info: --build-arg GIT_REVISION=$(git rev-parse HEAD)
ARG GIT_REVISION=""
ENV GIT_REVISION=${GIT_REVISION} \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9464
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KINETRIA_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DBMATE_MIGRATIONS_DIR=/app/db/migrations \
    DBMATE_NO_DUMP_SCHEMA=true
USER 10001
EXPOSE 8000
# /metrics and /health/detail, for the operators' network only, never published to clients
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health\", timeout=2)"]
CMD ["kinetria", "serve"]
