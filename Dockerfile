# syntax=docker/dockerfile:1
# Every tickhub service's image, chosen by the build argument SERVICE: gateway, health,
# failover, publisher or api (compose.yaml builds each). Build from the repository root
# (the image needs the workspace's lock and libs):
#   docker build --build-arg SERVICE=publisher -t tickhub-publisher .
ARG SERVICE

# --- build: only this service's packages, installed as wheels into /app/.venv ---
FROM python:3.11-slim AS build
ARG SERVICE
# The gateway compiles C++: vnpy_ctp ships no Linux wheel (its sdist builds with meson
# and pybind11), and the stand-in CTP library is built below.
RUN if [ "$SERVICE" = gateway ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends build-essential \
        && rm -rf /var/lib/apt/lists/*; \
    fi
# uv from PyPI, like `make setup`: no curl | sh.
RUN pip install --no-cache-dir --disable-pip-version-check "uv>=0.13"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY . .
# Installed as wheels (--no-editable): the runtime stage copies /app/.venv alone and
# never sees the sources. The workspace overrides keep vnpy's Qt/PySide6 desktop stack
# out of the gateway's (see README, environment sizes).
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "tickhub-$SERVICE"
# The gateway's stand-in for CTP's market-data library (docs/ctp-front.md), which a
# `local` account loads to talk to `tickhub ctp-front`: built as `make setup` builds
# it, from CTP's headers in the vnpy_ctp sdist uv.lock pins, straight into the
# installed package (git ignores the library, so no wheel carries it).
RUN --mount=type=cache,target=/root/.cache/tickhub-standin \
    if [ "$SERVICE" = gateway ]; then \
        /app/.venv/bin/python -m tickhub_gateway.localctp.standin.build \
            --lock uv.lock --cache /root/.cache/tickhub-standin; \
    fi

# --- runtime: no compiler, just the environment built above ---
FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --home-dir /data tickhub \
    && mkdir -p /data && chown tickhub /data
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TICKHUB_DATA_DIR=/data

# --- what each service adds to the runtime: its ports, its volume, its command ---
FROM runtime AS service-gateway
# CTP's Linux API converts its GB18030 texts through this locale and aborts
# ("locale::facet::_S_create_c_locale name not valid") when it is missing.
RUN apt-get update \
    && apt-get install -y --no-install-recommends locales libstdc++6 \
    && localedef -i zh_CN -f GB18030 zh_CN.GB18030 \
    && rm -rf /var/lib/apt/lists/*
# Each worker gets its own directory under /data (CTP flow files, vnpy's .vntrader):
# mount a volume here so they survive a container restart.
VOLUME /data
# SIGTERM stops every worker (SIGKILL after TICKHUB_RESTART_GRACE_S), then the manager.
CMD ["python", "-m", "tickhub_gateway"]

FROM runtime AS service-health
# SIGTERM (docker stop) drains the NATS connection and exits 0.
CMD ["python", "-m", "tickhub_health"]

FROM runtime AS service-failover
# SIGTERM (docker stop) drains the NATS connection and exits 0.
CMD ["python", "-m", "tickhub_failover"]

FROM runtime AS service-publisher
EXPOSE 5555 5556
# SIGTERM (docker stop) drains the NATS connection and exits 0.
CMD ["python", "-m", "tickhub_publisher"]

FROM runtime AS service-api
EXPOSE 8000
# SIGTERM (docker stop) drains the NATS connection and exits 0.
CMD ["python", "-m", "tickhub_api"]

# --- the image: the chosen service's stage with its environment ---
FROM service-$SERVICE
COPY --from=build /app/.venv /app/.venv
USER tickhub
WORKDIR /data
