# Hub image: one image for workers (`hub worker`) and connectors (`hub connector NAME`).
#   docker build -t samhandling-hub .
#   docker run --rm samhandling-hub --help
# Used by docker-compose.yml and the Helm chart (helm/samhandling-hub).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY hub ./hub
COPY agents ./agents
COPY connectors ./connectors
RUN python -m venv /opt/hub && /opt/hub/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/hub/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HUB_WEB__HOST=0.0.0.0 \
    HUB_DATA_DIR=/var/lib/hub/data \
    HUB_INFRA__STATE_DIR=/tmp/hub-state \
    HUB_INFRA__CACHE_DIR=/tmp/hub-cache \
    HUB_LOG_FORMAT=json
RUN groupadd --system --gid 10001 hub \
 && useradd --system --uid 10001 --gid hub --home-dir /var/lib/hub --shell /usr/sbin/nologin hub \
 && mkdir -p /var/lib/hub/data \
 && chown -R hub:hub /var/lib/hub
COPY --from=build /opt/hub /opt/hub
USER 10001:10001
WORKDIR /var/lib/hub
# 6066 web (/healthz, /readyz, /metrics) of every process; connector protocol ports
EXPOSE 6066 2575 8090 8091 8092 8093
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HUB_WEB__WORKER_PORT', '6066') + '/healthz', timeout=2)"]
ENTRYPOINT ["hub"]
CMD ["--help"]
