# One image for every service (and the stack's tools), locked dependencies, run as non-root.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY shared ./shared
COPY services ./services
COPY stack ./stack
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
# /keys and /exports belong to the app user so the named volumes mounted there (compose)
# are writable.
RUN useradd --system --uid 10001 --no-create-home app && mkdir /keys /exports \
    && chown app /keys /exports
WORKDIR /app
COPY --from=build /app /app
USER app
ENV PATH="/app/.venv/bin:$PATH" HOST=0.0.0.0 LOG_JSON=true PYTHONUNBUFFERED=1
