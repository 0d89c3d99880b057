"""Bring up the project's Airflow natively and print the login.

    python -m quality_pipeline.orchestration.topology up [--port 8080]
        embedded: `airflow standalone` (SQLite in $AIRFLOW_HOME, LocalExecutor), what `make up` runs
    python -m quality_pipeline.orchestration.topology distributed --database-url URL --broker-url URL [--port 8080]
        the services of docker-compose.yml, one process each, against your PostgreSQL and Redis;
        `--only airflow-worker --queues default` starts just a worker for a second host

Both run the init first (`airflow db migrate`, the `quality_warehouse` pool; not for `--only`) and stop
everything they started on Ctrl-C or SIGTERM.
`AIRFLOW_ADMIN_PASSWORD`, when set, becomes the admin's password; otherwise `up` keeps the one of an
earlier start or makes a random one. The password file is mode 0600. The UI and API listen on 127.0.0.1
only; `AIRFLOW__API__HOST=0.0.0.0` exposes them, which should only ever be behind a TLS proxy.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from quality_pipeline.orchestration.defaults import TIMEZONE
from quality_pipeline.orchestration.topology import ADMIN_USER, PROJECT_DAGS, SERVICES, WORKER_QUEUES
from quality_pipeline.orchestration.topology.services import (
    AIRFLOW,
    Topology,
    admin_password,
    distributed_env,
    embedded_env,
    ensure_admin_password,
    run_init,
    set_admin_password,
)
from quality_pipeline.settings import PROJECT_ROOT


def _home() -> Path:
    home = Path(os.environ.get("AIRFLOW_HOME") or "airflow_home")
    return home if home.is_absolute() else PROJECT_ROOT / home


def unpause_project_dags(topology: Topology, password: str | None, timeout_s: float = 300) -> list[str]:
    """Unpause the project's DAGs once the dag-processor has parsed them; the ones unpaused, in order."""
    from quality_pipeline.orchestration.topology.api import AirflowApi

    if not password:
        return []
    api = AirflowApi(topology.env["AIRFLOW__API__BASE_URL"], ADMIN_USER, password)
    api.wait_for_dags(PROJECT_DAGS, timeout_s=timeout_s)
    for dag_id in PROJECT_DAGS:
        api.unpause(dag_id)
    return list(PROJECT_DAGS)


def _dags_line(topology: Topology, unpaused: list[str] | None) -> str:
    folder = topology.env["AIRFLOW__CORE__DAGS_FOLDER"]
    if unpaused is None:
        return f"{folder} (paused: unpause them in the UI)"
    return (f"{folder}\n            unpaused: {', '.join(unpaused)} (ingest nightly at 01:00, {TIMEZONE};"
            " --keep-paused to leave them paused)")


def _banner(topology: Topology, mode: str, unpaused: list[str] | None = None) -> None:
    password = admin_password(topology.env, timeout_s=60) or "(see the password file in AIRFLOW_HOME)"
    channels = [name for name, var in (("webhook", "QUALITY_ALERT_WEBHOOK_URL"), ("e-mail", "QUALITY_ALERT_EMAIL"))
                if topology.env.get(var)]
    print(f"""
Airflow ({mode}) is up: {topology.env['AIRFLOW__API__BASE_URL']} (listening on {topology.env['AIRFLOW__API__HOST']})
  login     {ADMIN_USER} / {password}
  DAGs      {_dags_line(topology, unpaused)}
  times     {topology.env.get('AIRFLOW__CORE__DEFAULT_TIMEZONE', 'UTC')} for schedules and naive dates; the UI shows \
your browser's time zone (user menu → timezone to change it)
  workers   parallelism {topology.env.get('AIRFLOW__CORE__PARALLELISM', '32')}, \
executor {topology.env.get('AIRFLOW__CORE__EXECUTOR', 'LocalExecutor').rsplit('.', 1)[-1]}
  landing   {topology.env['QUALITY_LANDING_DIR']}
  warehouse {topology.env['QUALITY_WAREHOUSE']}
  alerts    {', '.join(channels) or 'log only (set QUALITY_ALERT_WEBHOOK_URL / QUALITY_ALERT_EMAIL)'}
  logs      {topology.log_dir}
Ctrl-C stops it.""", flush=True)


def _serve(topology: Topology, mode: str, *, unpause: bool = False) -> int:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        topology.wait_until_up()
        unpaused = unpause_project_dags(topology, admin_password(topology.env, timeout_s=60)) if unpause else None
        _banner(topology, mode, unpaused)
        while not stop and not topology.dead():
            time.sleep(1)
        if dead := topology.dead():
            print(f"stopped: {dead}\n{topology.tail(dead)}", file=sys.stderr)
            return 1
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        print("stopping ...", flush=True)
        topology.stop()


def up(args) -> int:
    home = _home()
    env = embedded_env(os.environ, home=home, port=args.port)
    ensure_admin_password(env)
    print(f"initialising Airflow in {home} (SQLite, LocalExecutor) ...", flush=True)
    run_init(env, home / "logs" / "init.log")
    topology = Topology(env, home / "logs" / "services")
    topology.start("standalone", [AIRFLOW, "standalone"])
    return _serve(topology, "embedded: standalone, SQLite, LocalExecutor", unpause=not args.keep_paused)


def distributed(args) -> int:
    home = _home()
    env = distributed_env(os.environ, home=home, port=args.port, database_url=args.database_url,
                          broker_url=args.broker_url, result_backend=args.result_backend)
    if not os.environ.get("AIRFLOW__API_AUTH__JWT_SECRET") and args.only:
        sys.exit("a second host must share AIRFLOW__API_AUTH__JWT_SECRET with the first: set it in the environment")
    if "airflow-apiserver" in (args.only or SERVICES):
        set_admin_password(env, os.environ.get("AIRFLOW_ADMIN_PASSWORD") or secrets.token_urlsafe(12))
    if not args.only:
        print(f"initialising the metadata DB {args.database_url.rsplit('@', 1)[-1]} ...", flush=True)
        run_init(env, home / "logs" / "init.log")
    topology = Topology(env, home / "logs" / "services")
    for name in args.only or SERVICES:
        command = [AIRFLOW, *SERVICES[name]]
        if name == "airflow-worker" and args.queues:
            command[command.index("--queues") + 1] = args.queues
        topology.start(name, command)
    if args.only and "airflow-apiserver" not in args.only:
        print(f"started {', '.join(args.only)}; logs in {topology.log_dir}; Ctrl-C stops.", flush=True)
        try:
            while not topology.dead():
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        topology.stop()
        return 0
    return _serve(topology, "distributed: CeleryExecutor, PostgreSQL, Redis")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.orchestration.topology", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="embedded: airflow standalone")
    p_up.add_argument("--port", type=int, default=int(os.environ.get("AIRFLOW__API__PORT", 8080)))
    p_up.add_argument("--keep-paused", action="store_true", help="leave the project's DAGs paused")
    p_up.set_defaults(func=up)
    p_dist = sub.add_parser("distributed", help="the compose services, natively")
    p_dist.add_argument("--port", type=int, default=int(os.environ.get("AIRFLOW__API__PORT", 8080)))
    p_dist.add_argument("--database-url", default=os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"),
                        required="AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in os.environ)
    p_dist.add_argument("--broker-url", default=os.environ.get("AIRFLOW__CELERY__BROKER_URL"),
                        required="AIRFLOW__CELERY__BROKER_URL" not in os.environ)
    p_dist.add_argument("--result-backend", default=os.environ.get("AIRFLOW__CELERY__RESULT_BACKEND"))
    p_dist.add_argument("--only", nargs="+", choices=list(SERVICES), help="start only these services")
    p_dist.add_argument("--queues", help=f"queues of the worker (default {','.join(WORKER_QUEUES)})")
    p_dist.set_defaults(func=distributed)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
