"""A small client of Airflow's REST API v2 (the stdlib only): token, unpause, trigger, wait, read results."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

FINISHED = {"success", "failed"}


class ApiError(RuntimeError):
    pass


class AirflowApi:
    def __init__(self, base_url: str, username: str, password: str, timeout_s: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.token = self._token(username, password)

    def _token(self, username: str, password: str) -> str:
        """POST /auth/token (SimpleAuthManager): a JWT for the Authorization header."""
        body = self._call("POST", "/auth/token", {"username": username, "password": password}, auth=False)
        return body["access_token"]

    def _call(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        attempts = 3 if method == "GET" else 1  # a read is asked again when a busy api-server misses the timeout
        for attempt in range(1, attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                    raw = response.read()
                break
            except urllib.error.HTTPError as exc:
                raise ApiError(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from None
            except (TimeoutError, urllib.error.URLError):
                if attempt == attempts:
                    raise
                time.sleep(2)
        return json.loads(raw) if raw else {}

    def get(self, path: str, **query) -> dict:
        qs = f"?{urllib.parse.urlencode(query, doseq=True)}" if query else ""
        return self._call("GET", path + qs)

    def wait_for_dags(self, dag_ids, timeout_s: float = 300) -> None:
        """Until the dag-processor has parsed every DAG (GET /api/v2/dags/{id} answers)."""
        deadline = time.monotonic() + timeout_s
        missing = list(dag_ids)
        while missing:
            for dag_id in list(missing):
                try:
                    self.get(f"/api/v2/dags/{dag_id}")
                    missing.remove(dag_id)
                except ApiError:
                    pass
            if missing and time.monotonic() > deadline:
                raise TimeoutError(f"DAGs not parsed after {timeout_s:.0f}s: {missing}")
            if missing:
                time.sleep(2)

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict | None = None, logical_date: datetime | None = None) -> str:
        body = {"logical_date": logical_date.isoformat() if logical_date else None, "conf": conf or {}}
        return self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")

    def runs(self, dag_id: str, **query) -> list[dict]:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns", **query)["dag_runs"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout_s: float = 600) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.run(dag_id, run_id)["state"]
            if state in FINISHED:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} {run_id} still {state} after {timeout_s:.0f}s")
            time.sleep(3)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances"
        return self.get(path)["task_instances"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value"):
        path = (f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances/{task_id}"
                f"/xcomEntries/{key}")
        return self.get(path, deserialize="true")["value"]

    def hitl_details(self, dag_id: str, run_id: str) -> list[dict]:
        """The run's human-in-the-loop requests (held-file decisions), answered or not."""
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/hitlDetails")["hitl_details"]

    def wait_for_hitl(self, dag_id: str, run_id: str, timeout_s: float = 600) -> list[dict]:
        """Until the run has a request waiting for an answer; the waiting ones."""
        deadline = time.monotonic() + timeout_s
        while True:
            waiting = [d for d in self.hitl_details(dag_id, run_id) if not d["response_received"]]
            if waiting:
                return waiting
            state = self.run(dag_id, run_id)["state"]
            if state in FINISHED or time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} {run_id} ({state}) has asked for no decision")
            time.sleep(3)

    def answer_hitl(self, detail: dict, chosen: list[str], params_input: dict | None = None) -> dict:
        """PATCH …/taskInstances/{task_id}/{map_index}/hitlDetails: answer one request as this user."""
        ti = detail["task_instance"]
        path = (f"/api/v2/dags/{ti['dag_id']}/dagRuns/{urllib.parse.quote(ti['dag_run_id'], safe='')}"
                f"/taskInstances/{ti['task_id']}/{ti['map_index']}/hitlDetails")
        return self._call("PATCH", path, {"chosen_options": chosen, "params_input": params_input or {}})

    def create_backfill(self, dag_id: str, from_date: datetime, to_date: datetime, conf: dict | None = None) -> dict:
        body = {"dag_id": dag_id, "from_date": from_date.isoformat(), "to_date": to_date.isoformat(),
                "dag_run_conf": conf or {}, "max_active_runs": 1}
        return self._call("POST", "/api/v2/backfills", body)
