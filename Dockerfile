# The project's image: Airflow and the pipeline installed from the lock file, nothing else.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/project/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False

RUN pip install --no-cache-dir "uv==0.13.8" && useradd --create-home --uid 50000 airflow
WORKDIR /opt/project
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY dags ./dags
COPY include ./include
COPY expectations ./expectations
COPY warehouse ./warehouse
RUN uv sync --frozen --no-dev && mkdir -p /opt/airflow /data && chown -R airflow /opt/airflow /data
USER airflow
