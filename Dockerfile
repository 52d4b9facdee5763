FROM python:3.11-slim
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY shared ./shared
COPY services ./services
COPY stack ./stack
RUN uv sync --frozen --no-dev
ENV PATH="/app/.venv/bin:$PATH" HOST=0.0.0.0 LOG_JSON=true
