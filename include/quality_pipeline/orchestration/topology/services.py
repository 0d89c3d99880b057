"""Start the project's Airflow natively: the embedded standalone, or the distributed services one process each.

Every process gets its own process group, so stopping a topology stops the task processes it forked too.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from quality_pipeline.orchestration.defaults import TIMEZONE
from quality_pipeline.orchestration.topology import (
    ADMIN_USER,
    INIT_STEPS,
    SERVICES,
    SHARED_SETTINGS,
    SIMPLE_AUTH_MANAGER,
)
from quality_pipeline.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
AIRFLOW = str(BIN / "airflow")


LOCAL_ONLY = "127.0.0.1"
# Airflow's LocalExecutor, importing the pipeline before it forks its workers (`orchestration/executors.py`)
EMBEDDED_EXECUTOR = "quality_pipeline.orchestration.executors.LocalExecutor"
SECRET_MODE = 0o600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _common(base: Mapping[str, str], home: Path, port: int) -> dict[str, str]:
    env = dict(base)
    url = f"http://127.0.0.1:{port}"
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": env.get("AIRFLOW__CORE__DAGS_FOLDER") or str(PROJECT_ROOT / "dags"),
        "AIRFLOW__API__PORT": str(port),
        # Only this machine unless told otherwise: the UI speaks plain HTTP, so expose it (AIRFLOW__API__HOST=0.0.0.0)
        # only behind a TLS proxy. Airflow's own default is every interface.
        "AIRFLOW__API__HOST": env.get("AIRFLOW__API__HOST") or LOCAL_ONLY,
        "AIRFLOW__API__BASE_URL": env.get("AIRFLOW__API__BASE_URL") or url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS")
        or f"{ADMIN_USER}:admin",
        "GX_ANALYTICS_ENABLED": "false",
        # `airflow standalone` starts its components as `airflow ...` from PATH: this environment's first.
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    })
    for var, default in (("QUALITY_LANDING_DIR", "data/landing"), ("QUALITY_WAREHOUSE", "data/warehouse/quality.duckdb"),
                         ("QUALITY_REPORTS_DIR", "data/reports")):
        value = Path(env.get(var) or default)
        env[var] = str(value if value.is_absolute() else PROJECT_ROOT / value)
    return env


def machine_cores() -> int:
    """Cores this process may run on (a container's or taskset's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def embedded_env(base: Mapping[str, str], *, home: Path, port: int = 8080, cores: int | None = None) -> dict[str, str]:
    """Environment of `airflow standalone`: SQLite in AIRFLOW_HOME, LocalExecutor, SimpleAuthManager.

    Sized to the machine: the LocalExecutor starts one worker process per unit of `parallelism` (Airflow's
    default, 32, is 32 processes importing Airflow on a laptop), so parallelism is the number of cores and the
    API server runs at most that many workers. Naive dates (a REST API trigger's logical date without an
    offset, `airflow` CLI dates) are read in the district's time zone. Each setting given in the environment wins.
    """
    env = _common(base, home, port)
    env["AIRFLOW__CORE__EXECUTOR"] = EMBEDDED_EXECUTOR
    cores = cores or machine_cores()
    env.setdefault("AIRFLOW__CORE__PARALLELISM", str(cores))
    env.setdefault("AIRFLOW__API__WORKERS", str(min(cores, 4)))
    env.setdefault("AIRFLOW__CORE__DEFAULT_TIMEZONE", TIMEZONE)
    env.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
    return env


def distributed_env(base: Mapping[str, str], *, home: Path, port: int, database_url: str, broker_url: str,
                    result_backend: str | None = None, jwt_secret: str | None = None,
                    secret_key: str | None = None) -> dict[str, str]:
    """Environment shared by every distributed service: the settings of `docker-compose.yml`, native paths."""
    env = _common(base, home, port)
    env.update(SHARED_SETTINGS)
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": result_backend or "db+" + database_url.replace("+psycopg2", ""),
        # Every process must sign and accept the same tokens: one secret for all, never a generated one each.
        "AIRFLOW__API_AUTH__JWT_SECRET": jwt_secret or env.get("AIRFLOW__API_AUTH__JWT_SECRET")
        or secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secret_key or env.get("AIRFLOW__API__SECRET_KEY") or secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "simple_auth_manager_passwords.json"),
    })
    if base.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):  # a worker on another host than the api-server
        env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = base["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    return env


def password_file(env: Mapping[str, str]) -> Path:
    return Path(env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
                or Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated")


def set_admin_password(env: Mapping[str, str], password: str) -> None:
    """Write the SimpleAuthManager password file (as the compose `airflow-init` does from .env), mode 0600.

    Created with that mode, never widened and narrowed after, so no other user can read it even briefly.
    """
    path = password_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps({ADMIN_USER: password}) + "\n")


def ensure_admin_password(env: Mapping[str, str]) -> None:
    """A random admin password unless one is set or kept; an existing file's mode is narrowed to 0600.

    There is no default password: `AIRFLOW_ADMIN_PASSWORD` when set, else the one kept from an earlier
    `make up`, else a new random one (written here rather than by Airflow, whose file mode we do not choose).
    """
    path = password_file(env)
    if env.get("AIRFLOW_ADMIN_PASSWORD"):
        set_admin_password(env, env["AIRFLOW_ADMIN_PASSWORD"])
    elif path.exists() and path.read_text().strip():
        path.chmod(SECRET_MODE)
    else:
        set_admin_password(env, secrets.token_urlsafe(16))


def admin_password(env: Mapping[str, str], timeout_s: float = 0) -> str | None:
    """The admin password SimpleAuthManager uses (waits up to `timeout_s` for it to be generated)."""
    path = password_file(env)
    deadline = time.monotonic() + timeout_s
    while True:
        if path.exists() and path.read_text().strip():
            return json.loads(path.read_text()).get(ADMIN_USER)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


def run_init(env: Mapping[str, str], log: Path) -> None:
    """`airflow db migrate`, then the one-slot writer pool: the steps of the compose `airflow-init`."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        for step in INIT_STEPS:
            done = subprocess.run([AIRFLOW, *step], env=dict(env), stdout=out, stderr=subprocess.STDOUT)
            if done.returncode:
                raise RuntimeError(f"airflow {' '.join(step[:2])} failed (exit {done.returncode}); see {log}")


@dataclass
class Topology:
    """Processes started here, by name, each the leader of its own process group."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['AIRFLOW__API__PORT']}"

    def start(self, name: str, command: list[str], extra_env: Mapping[str, str] | None = None) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (owned by the child for its lifetime)
        process = subprocess.Popen(command, env={**self.env, **(extra_env or {})}, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True, cwd=str(PROJECT_ROOT))
        out.close()
        self.processes[name] = process
        return process

    def start_services(self, names: list[str] | None = None) -> None:
        for name in names or list(SERVICES):
            self.start(name, [AIRFLOW, *SERVICES[name]])

    def dead(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def wait_until_up(self, timeout_s: float = 240) -> None:
        """Until the API answers /api/v2/monitor/health (and nothing started here has died)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if dead := self.dead():
                raise RuntimeError(f"exited early: {dead}; logs in {self.log_dir}\n{self.tail(dead)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v2/monitor/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(2)
        raise TimeoutError(f"Airflow API not up after {timeout_s:.0f}s; logs in {self.log_dir}")

    def tail(self, names=None, lines: int = 40) -> str:
        out = []
        for name in names or self.processes:
            path = self.log_dir / f"{name}.log"
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    def stop(self, timeout_s: float = 30) -> None:
        """SIGTERM every process group started here, then SIGKILL what is left."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
