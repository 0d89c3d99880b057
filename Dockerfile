# The project's image: Airflow and the pipeline installed from the lock file (uv.lock), nothing else.
# Every service of docker-compose.yml runs it with a different `airflow ...` command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/opt/venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/project/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    GX_ANALYTICS_ENABLED=false

RUN pip install --no-cache-dir "uv==0.13.8" \
    && useradd --create-home --uid 50000 --gid 0 airflow

WORKDIR /opt/project
# Dependencies first (a layer that changes only with the lock file), then the project itself. `uv sync`
# installs the project editable, so the package finds warehouse/ and expectations/ beside it.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project --compile-bytecode
COPY dags ./dags
COPY include ./include
COPY expectations ./expectations
COPY warehouse ./warehouse
RUN uv sync --frozen --no-dev --compile-bytecode \
    && mkdir -p /opt/airflow/logs /opt/airflow/config /data/landing /data/warehouse /data/reports \
    && chown -R airflow:0 /opt/airflow /data \
    && chmod -R g=u /opt/airflow /data

USER airflow
EXPOSE 8080
CMD ["airflow", "version"]
