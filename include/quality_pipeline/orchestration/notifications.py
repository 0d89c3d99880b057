"""Failure and deadline alerts: Airflow notifiers whose channels come from the environment when they fire.

A DAG run that fails calls `QualityAlert` from the dag-processor (`on_failure_callback`); a nightly run not
finished by 06:00 calls it from the triggerer (deadline alert). Both read, at that moment:

- `QUALITY_ALERT_WEBHOOK_URL`: POST the alert as JSON there. `QUALITY_ALERT_WEBHOOK_FORMAT=robot` sends
  `{"msgtype": "text", "text": {"content": ...}}`, what WeCom and DingTalk group robots accept;
  the default `json` sends the alert's fields plus `text`.
- `QUALITY_ALERT_EMAIL`: comma-separated recipients, sent with the SMTP provider's `SmtpNotifier` through the
  Airflow connection `QUALITY_ALERT_SMTP_CONN_ID` (default `smtp_default`, e.g. from
  `AIRFLOW_CONN_SMTP_DEFAULT=smtp://user:password@mail.example.org:587?disable_ssl=true`), from `QUALITY_ALERT_EMAIL_FROM`
  (default: the connection's `from_email` extra).

Neither set: the alert is only logged. Light to import: DAG files import it at parse time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.request
from html import escape

from airflow.sdk import AsyncCallback, BaseNotifier, DeadlineAlert, DeadlineReference

from quality_pipeline.orchestration.defaults import NIGHTLY_DEADLINE, TIMEZONE

log = logging.getLogger(__name__)
PREFIX = "[质量强区 quality pipeline]"
WHAT_TO_DO = "What to do: open the DAG's docs in Airflow (\"When it fails\") and the failed task's log."


class WebhookNotifier(BaseNotifier):
    """POST `text` (and `fields`) as JSON to `url`; `fmt="robot"` for WeCom/DingTalk group robots."""

    template_fields = ("url", "text")

    def __init__(self, url: str, text: str, fields: dict | None = None, fmt: str = "json", timeout: float = 10.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.url, self.text, self.fields, self.fmt, self.timeout = url, text, fields or {}, fmt, timeout

    def payload(self) -> dict:
        if self.fmt == "robot":
            return {"msgtype": "text", "text": {"content": self.text}}
        return {**self.fields, "text": self.text}

    def notify(self, context) -> None:
        body = json.dumps(self.payload(), ensure_ascii=False, default=str).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (an operator's URL)
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered HTTP {response.status}")

    async def async_notify(self, context) -> None:
        await asyncio.to_thread(self.notify, context)


def describe(event: str, context) -> dict:
    """The alert's fields from either context Airflow passes: a DAG callback's, or a deadline's (plain JSON)."""
    dag_run = context.get("dag_run")
    if isinstance(dag_run, dict):  # deadline alerts get the REST API's view of the run
        dag_id, run_id = dag_run.get("dag_id"), dag_run.get("dag_run_id") or dag_run.get("run_id")
        logical_date = dag_run.get("logical_date")
    else:
        dag = context.get("dag")
        dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None)
        run_id = context.get("run_id") or getattr(dag_run, "run_id", None)
        logical_date = getattr(dag_run, "logical_date", None)
    ti = context.get("ti") or context.get("task_instance")
    fields = {
        "event": event,
        "dag_id": dag_id,
        "run_id": run_id,
        "logical_date": str(logical_date) if logical_date else None,
        "task_id": getattr(ti, "task_id", None),
        "reason": context.get("reason"),
        "deadline": str((context.get("deadline") or {}).get("deadline_time") or "") or None,
    }
    base_url = os.environ.get("AIRFLOW__API__BASE_URL", "").rstrip("/")
    if base_url and dag_id and run_id:
        fields["url"] = f"{base_url}/dags/{dag_id}/runs/{run_id}"
    return fields


def alert_text(fields: dict) -> str:
    if fields["event"] == "deadline_missed":
        head = (f"{PREFIX} {fields['dag_id']} run {fields['run_id']} had not finished by its deadline "
                f"{fields['deadline']} (06:00 {TIMEZONE} for a nightly run).")
    elif fields["event"] == "file_held":
        head = (f"{PREFIX} {fields['dag_id']} run {fields['run_id']}: a file was held and waits on your decision "
                "(publish, keep held, withdraw) / 有文件暂缓发布，等待决定.")
        link = f"\n{fields['url']}/required_actions" if fields.get("url") else ""
        return f"{head}{link}"
    else:
        task = f", task {fields['task_id']}" if fields["task_id"] else ""
        head = f"{PREFIX} {fields['dag_id']} failed: run {fields['run_id']}{task} ({fields['reason'] or 'failed'})."
    link = f"\n{fields['url']}" if fields.get("url") else ""
    return f"{head}\n{WHAT_TO_DO}{link}"


def _channels(fields: dict, text: str) -> list[BaseNotifier]:
    channels: list[BaseNotifier] = []
    if url := os.environ.get("QUALITY_ALERT_WEBHOOK_URL"):
        channels.append(WebhookNotifier(url=url, text=text, fields=fields,
                                        fmt=os.environ.get("QUALITY_ALERT_WEBHOOK_FORMAT", "json")))
    if recipients := [r.strip() for r in os.environ.get("QUALITY_ALERT_EMAIL", "").split(",") if r.strip()]:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        channels.append(SmtpNotifier(
            to=recipients,
            from_email=os.environ.get("QUALITY_ALERT_EMAIL_FROM") or None,
            subject=text.splitlines()[0][:180],
            html_content=f"<pre>{escape(text)}</pre>",
            smtp_conn_id=os.environ.get("QUALITY_ALERT_SMTP_CONN_ID") or "smtp_default",
        ))
    return channels


def _without_dag(context) -> dict:
    """The channels get their text ready-made: no DAG to template with (in `dag.test` it is a serialized one)."""
    return {key: value for key, value in context.items() if key != "dag"}


class QualityAlert(BaseNotifier):
    """Send one alert to every channel configured in the environment; fail only after trying them all."""

    def __init__(self, event: str = "dag_failed", context=None, strict: bool = True, **kwargs):
        super().__init__(context=context)
        self.event = event
        self.strict = strict  # False: a channel that fails is logged, never raised (the task it serves goes on)

    def render_template_fields(self, context, jinja_env=None) -> None:
        """Nothing to render: the text is built from the context (whose `dag` may be a serialized one)."""

    def _prepare(self, context) -> tuple[list[BaseNotifier], str]:
        fields = describe(self.event, context)
        text = alert_text(fields)
        log.warning("%s", text)
        return _channels(fields, text), text

    def notify(self, context) -> None:
        channels, _ = self._prepare(context)
        plain = _without_dag(context)
        errors = []
        for channel in channels:
            try:
                channel.notify(plain)
            except Exception as exc:  # one broken channel must not silence the others
                log.exception("alert channel %s failed", type(channel).__name__)
                errors.append(f"{type(channel).__name__}: {exc}")
        if errors and self.strict:
            raise RuntimeError("; ".join(errors))

    async def async_notify(self, context) -> None:
        channels, _ = self._prepare(context)
        plain = _without_dag(context)
        errors = []
        for channel in channels:
            try:
                await channel.async_notify(plain)
            except Exception as exc:
                log.exception("alert channel %s failed", type(channel).__name__)
                errors.append(f"{type(channel).__name__}: {exc}")
        if errors:
            raise RuntimeError("; ".join(errors))


def on_failure() -> list[BaseNotifier]:
    """`on_failure_callback` of every DAG."""
    return [QualityAlert(event="dag_failed")]


def nightly_deadline() -> DeadlineAlert:
    """Alert when a nightly run (logical date 01:00) has not finished 5 hours later, at 06:00."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=NIGHTLY_DEADLINE,
        callback=AsyncCallback(QualityAlert, kwargs={"event": "deadline_missed"}),
        name="nightly_finished_by_0600",
    )
