"""Task bodies of the DAGs: thin, testable without Airflow, returning JSON-serialisable summaries."""

from __future__ import annotations

import logging
import shlex
from dataclasses import asdict
from datetime import date, datetime

from quality_pipeline.calendar import closed_quarter, local_day, local_now
from quality_pipeline.terminal import printable

log = logging.getLogger(__name__)


class NeedsAttention(RuntimeError):
    """Files were rejected or held: the data that could load has loaded, but a person must look."""


# `airflow dags test` (make run, make release, make withdraw) triggers as this user: the command line's own
# user, passed in the run conf as `by`, is the actor then.
TEST_TRIGGER = "dag_test"


def choose_actor(triggering_user: str | None, conf_by: str | None) -> str:
    """Who decides in a run: the user who triggered it in the Airflow UI; for a command-line run the `by` of
    its conf (make's BY= or $USER); else the user running the worker."""
    from quality_pipeline.loading.ingest import default_actor

    if triggering_user and triggering_user != TEST_TRIGGER:
        return triggering_user
    return (conf_by or "").strip() or default_actor()


def withdraw(paths: list[str], *, run_id: str, reason: str | None, actor: str) -> dict:
    """Withdraw each delivery named in `paths`; a refusal (unknown path, already withdrawn ...) is reported,
    not raised, so the rest of the run goes on and `check_attention` shows it."""
    from quality_pipeline.loading.decisions import CannotDecide, withdraw_file
    from quality_pipeline.settings import load_settings

    settings, done, refused = load_settings(), [], []
    for path in paths:
        try:
            decision = withdraw_file(settings, path, reason=reason or "", actor=actor, run_id=run_id)
        except CannotDecide as exc:
            log.error("cannot withdraw %s: %s", printable(path), printable(exc))
            refused.append({"path": path, "reason": str(exc)})
            continue
        log.info("withdrawn by %s: %s (file_id %d, was %s) — %s", printable(actor), printable(decision.path),
                 decision.file_id, decision.previous_status, printable(decision.reason))
        done.append(decision.as_dict())
    return {"withdrawn": done, "refused": refused}


def ingest(feeds: tuple[str, ...], *, run_id: str, release: list[str] | None = None,
           reprocess: list[str] | None = None, withdraw_paths: list[str] | None = None, reason: str | None = None,
           actor: str | None = None) -> dict:
    """Withdraw the deliveries named in `withdraw_paths` (with `reason`), then load every new file of the given
    feeds (one GX import for all), releasing those named in `release` as `actor`; return what became of each."""
    from quality_pipeline.loading.ingest import Release, default_actor, ingest_feed
    from quality_pipeline.settings import load_settings
    from quality_pipeline.validation.gate import gate_for

    actor = actor or default_actor()
    decisions = withdraw(list(withdraw_paths), run_id=run_id, reason=reason, actor=actor) if withdraw_paths else {}
    settings = load_settings()
    gate = gate_for(settings, run_id)
    files = []
    for feed in feeds:
        results = ingest_feed(feed, run_id=run_id, settings=settings, gate=gate, release=tuple(release or ()),
                              reprocess=tuple(reprocess or ()), released_by=Release(actor, reason or None))
        for result in results:
            log.info("%s %s: %s (read %d, loaded %d, rejected %d, duplicates %d, held %d, keys withdrawn %d)%s",
                     feed, printable(result.path), result.status, result.rows_read, result.rows_loaded,
                     result.rows_rejected, result.duplicates_dropped, result.rows_held, result.keys_withdrawn,
                     f" — {printable(result.reason)}" if result.reason else "")
            files.append(asdict(result))
    docs = gate.build_docs()
    if docs:
        log.info("Great Expectations Data Docs: %s", printable(docs))
    return {"run_id": run_id, "files": files, "data_docs": str(docs) if docs else None,
            "withdrawn": decisions.get("withdrawn", []), "refused": decisions.get("refused", [])}


def _gate(settings, run_id: str, item: dict, step: str):
    """The gate of one file's step; its Data Docs under `validation/<run>/<feed>-<sha256 prefix>/<step>`."""
    from quality_pipeline.validation.gate import gate_for

    return gate_for(settings, run_id, f"{item['feed']}-{item['sha256'][:16]}", step)


def discover_files(feeds: tuple[str, ...], *, run_id: str, release: list[str] | None = None,
                   reprocess: list[str] | None = None, withdraw_paths: list[str] | None = None,
                   reason: str | None = None, actor: str | None = None) -> dict:
    """Withdraw the deliveries named in `withdraw_paths` (with `reason`), then list the files of this run:
    those settled at once (refused, duplicate, ignored) and those to read, one mapped task each (a held file
    named in `release` is released as `actor`)."""
    from quality_pipeline.loading.files import discover_work
    from quality_pipeline.loading.ingest import default_actor
    from quality_pipeline.settings import load_settings

    actor = actor or default_actor()
    decisions = withdraw(list(withdraw_paths), run_id=run_id, reason=reason, actor=actor) if withdraw_paths else {}
    settled, work = discover_work(feeds, run_id=run_id, settings=load_settings(), release=tuple(release or ()),
                                  reprocess=tuple(reprocess or ()), released_by={"actor": actor, "reason": reason or None})
    for result in settled:
        log.info("%s %s: %s — %s", result.feed, printable(result.path), result.status, printable(result.reason))
    log.info("%d file(s) to read: %s", len(work), [printable(w["path"]) for w in work])
    return {"run_id": run_id, "settled": [asdict(r) for r in settled], "work": work,
            "withdrawn": decisions.get("withdrawn", []), "refused": decisions.get("refused", [])}


def prepare_file(item: dict, *, run_id: str) -> dict:
    """Read, type and check one file without the warehouse, staging it for the writer."""
    from quality_pipeline.loading.files import prepare_work
    from quality_pipeline.settings import load_settings

    settings = load_settings()
    gate = _gate(settings, run_id, item, "rows")
    prepared = prepare_work(item, run_id=run_id, settings=settings, gate=gate)
    docs = gate.build_docs()
    log.info("%s: %s", printable(item["path"]), "staged" if prepared.get("staged") else printable(prepared["left"]))
    return {**prepared, "data_docs": str(docs) if docs else None}


def publish_file(prepared: dict, *, run_id: str) -> dict:
    """Publish one staged file on the writer, in one transaction; what became of it. The first publish task
    of a run publishes every file of it in one write session, each in its own transaction (`publish_work`);
    the others return what it recorded. The warehouse readers open is copied out once for all the files of
    the run, by `publish_warehouse`."""
    from quality_pipeline.loading.files import publish_work
    from quality_pipeline.settings import load_settings

    settings = load_settings()
    result = publish_work(prepared, run_id=run_id, settings=settings,
                          gate_of=lambda item: _gate(settings, run_id, item, "batch"), copy_out=False)
    if result is None:  # a result all the same: a file without one is taken for a failed task
        why = prepared.get("left") or "published by another run meanwhile / 已由另一次运行处理"
        log.info("%s: nothing to publish (%s)", printable(prepared["path"]), printable(why))
        return {"feed": prepared["feed"], "path": prepared["path"], "status": "skipped",
                "reason": f"left for the next run: {why}" if prepared.get("left") else why}
    result = {**result, "data_docs": prepared.get("data_docs")}  # its batch pages: `batch_docs`
    log.info("%s %s: %s (read %d, loaded %d, rejected %d, duplicates %d, held %d)%s", result["feed"],
             printable(result["path"]), result["status"], result["rows_read"], result["rows_loaded"],
             result["rows_rejected"], result["duplicates_dropped"], result["rows_held"],
             f" — {printable(result['reason'])}" if result["reason"] else "")
    return result


def publish_warehouse() -> None:
    """Copy out to the published warehouse, in one atomic rename, every file the run's `publish_file` tasks
    committed (nothing when none did)."""
    from quality_pipeline.loading.files import publish_pending
    from quality_pipeline.settings import load_settings

    publish_pending(load_settings())


def publish_order(work: list[dict] | None, prepared, *, run_id: str) -> list[dict]:
    """The prepared files in delivery order, each with the earlier ones of its feed (`in_delivery_order`),
    and that order recorded for the first publish task (`write_publish_order`)."""
    from quality_pipeline.loading.files import in_delivery_order, write_publish_order
    from quality_pipeline.settings import load_settings

    ordered = in_delivery_order(work, list(prepared or []))
    try:
        write_publish_order(load_settings(), run_id, ordered)
    except OSError as exc:  # e.g. a host without the writer's staging folder: each file then in its own session
        log.warning("publish order not recorded (%s): each publish task publishes in a session of its own", exc)
    return ordered


def run_summary(discovered: dict | None, published) -> dict:
    """What became of every file of a run, from the discovery and the mapped publish tasks. A file to read
    without a result failed in its own task (its siblings went on): it is listed as `failed`."""
    if discovered is None:
        return {"files": [], "failed_discovery": True}
    results = [r for r in (published or []) if r]
    done = {(r["feed"], r["path"]) for r in results}
    failed = [{"feed": w["feed"], "path": w["path"], "status": "failed",
               "reason": "任务失败，见该文件任务的日志 / its task failed: read the log of its mapped task"}
              for w in discovered["work"] if (w["feed"], w["path"]) not in done]
    return {"run_id": discovered["run_id"], "files": [*discovered["settled"], *results, *failed],
            "withdrawn": discovered.get("withdrawn", []), "refused": discovered.get("refused", [])}


# Each line of what a file needs starts with this, so `make run` can pick them out of an Airflow log.
ATTENTION_MARK = "需处理 / attention:"


def attention_lines(summary: dict) -> list[str]:
    """For each rejected, held, ignored or failed file, and each withdrawal refused: what happened, why, and the
    command that settles it (escaped)."""
    lines = []
    for refused in summary.get("refused", []):
        lines.append(f"not withdrawn / 未撤回: {printable(refused['path'])} — {printable(refused['reason'])}")
        lines.append("  check the path (as in audit.files: cli files) / 核对路径（与 audit.files 一致）")
    if summary.get("failed_discovery"):
        lines.append("failed: discover_files — read its log, fix the cause and clear it / 发现文件任务失败，请查看日志")
    for f in summary.get("files", []):
        if f["status"] not in ("rejected", "held", "ignored", "failed"):
            continue
        path = printable(f["path"])
        lines.append(f"{f['status']}: {path} — {printable(f['reason'])}")
        if f["status"] == "held":
            if summary.get("ask_about_held"):
                lines.append("  decide in the UI (Required actions, task held_decision.decide): publish, keep held or "
                             "withdraw / 在界面中决定：发布、继续暂缓或撤回")
            lines.append(f"  publish it anyway after checking it / 核对后仍发布: make release FILE={shlex.quote(path)}")
        elif f["status"] == "failed":
            lines.append("  read the log of its mapped task, fix the cause and clear that task / "
                         "查看该文件任务的日志，排除原因后清除该任务重跑")
        elif f["status"] == "ignored":
            lines.append("  move the file into its feed's folder (a real folder, not a symbolic link) / "
                         "移入所属数据的文件夹（不可为符号链接）")
        else:
            lines.append(f"  fix the file as the reason says and deliver it again / 按原因修正后重新报送: "
                         f"$QUALITY_LANDING_DIR/{path}")
    return lines


def raise_if_attention(summary: dict) -> None:
    """Fail, listing what each file needs, when a file was rejected, ignored, failed, or held without a
    decision asked for in the UI (a held file that waits on its decision is logged, not failed on)."""
    files = summary.get("files", [])
    waiting = attention_lines({"ask_about_held": True, "files": [f for f in files if _asked(summary, f)]})
    failing = attention_lines({**summary, "files": [f for f in files if not _asked(summary, f)]})
    for line in waiting:
        log.warning("%s %s", ATTENTION_MARK, line)
    for line in failing:
        log.error("%s %s", ATTENTION_MARK, line)
    if failing:
        bad = sum(1 for line in failing if not line.startswith(" "))
        raise NeedsAttention(f"{bad} file(s) need attention (the rest loaded):\n" + "\n".join(failing))
    log.info("%d file(s) seen: none needs attention%s", len(files),
             ", but the held ones wait on their decision" if waiting else "")


def _asked(summary: dict, f: dict) -> bool:
    return f["status"] == "held" and bool(summary.get("ask_about_held"))


def held_to_decide(summary: dict) -> list[dict]:
    """The held files of a run that asks about them: one decision each."""
    if not summary.get("ask_about_held"):
        return []
    return [f for f in summary.get("files", []) if f["status"] == "held"]


def describe_held(held: dict) -> dict:
    """Subject and body (Markdown) of the decision about a held file."""
    path = printable(held["path"])
    rows = (f"| read 读取 | loaded-ready 可发布 | rejected 拒绝 | duplicates 重复 | flagged 标记 |\n|---|---|---|---|---|\n"
            f"| {held['rows_read']} | {held['rows_held']} | {held['rows_rejected']} | {held['duplicates_dropped']} "
            f"| {held.get('rows_flagged', 0)} |")
    sample = held.get("rejected_sample") or []
    lines = [f"| {s['row_number']} | {printable(s['column'] or '')} | {printable(s['reason'])} | "
             f"{printable(s['value'] if s['value'] is not None else '')} |" for s in sample]
    sample_md = ("| row 行 | column 列 | reason 原因 | value 原值 |\n|---|---|---|---|\n" + "\n".join(lines)
                 if lines else "(no rejected rows / 无被拒绝的行)")
    docs = [d for d in (held.get("batch_docs"), held.get("data_docs")) if d]
    body = "\n\n".join([
        f"**{path}** ({held['feed']}) was held / 暂缓发布:",
        f"> {printable(held['reason'])}",
        rows,
        f"Sample of rejected rows / 被拒绝行示例 (first {len(sample)}):\n\n{sample_md}",
        "Validation pages / 校验页面: " + (", ".join(f"`{printable(d)}`" for d in docs) or "none"),
        "**发布 / publish**: load it as it is (the batch checks are waived). **继续暂缓 / keep held**: leave it "
        "out; it can be released later (`make release FILE=…`). **撤回 / withdraw**: it will never load "
        "(give a reason).",
    ])
    return {"subject": f"Held / 暂缓发布: {path}", "body": body}


def apply_decision(held: dict, answer: dict, *, run_id: str) -> dict:
    """Carry out the answer to a held file's decision and record it (who, when) in audit.files.

    No answer before the timeout keeps the file held (recorded as such, by nobody). A decision already
    taken otherwise (released by `make release` meanwhile) is reported and left alone. Skipped (no asset
    event) unless the warehouse changed.
    """
    from quality_pipeline.loading import decisions
    from quality_pipeline.orchestration.defaults import KEEP_HELD, PUBLISH, WITHDRAW
    from quality_pipeline.settings import load_settings

    settings = load_settings()
    chosen = (answer.get("chosen_options") or [KEEP_HELD])[0]
    who = answer.get("responded_by_user") or {}
    actor = who.get("name") or who.get("id") or "timeout (no answer) / 超时未答复"
    reason = ((answer.get("params_input") or {}).get("reason") or "").strip() or None
    log.info("%s: %s, decided by %s at %s", printable(held["path"]), chosen, printable(actor),
             answer.get("responded_at"))
    try:
        if chosen == PUBLISH:
            from quality_pipeline.loading.files import release_one
            from quality_pipeline.validation.gate import gate_for

            results = release_one(held["path"], run_id=run_id, settings=settings, actor=actor, reason=reason,
                                  gate=gate_for())
            outcome = {"decision": "released", "results": results,
                       "changed": any(r["status"] == "loaded" for r in results)}
        elif chosen == WITHDRAW:
            done = decisions.withdraw_file(settings, held["path"], actor=actor, run_id=run_id,
                                           reason=reason or "withdrawn in the held-file decision / 在暂缓决定中撤回")
            outcome = {"decision": "withdrawn", **done.as_dict(), "changed": done.changes_marts}
        else:
            done = decisions.keep_held(settings, held["path"], actor=actor, run_id=run_id, reason=reason)
            outcome = {"decision": "kept_held", **done.as_dict(), "changed": False}
    except decisions.CannotDecide as exc:
        log.warning("%s: %s", printable(held["path"]), printable(exc))
        _skip(f"nothing done: {exc}")
    if not outcome["changed"]:
        _skip(f"{outcome['decision']}: the warehouse did not change; no asset event")
    return outcome


def changed_files(summary: dict) -> list[str]:
    """Files of a run that changed what the marts read: loaded, released or reprocessed ones, and loaded
    ones withdrawn."""
    withdrawn = [d["path"] for d in summary.get("withdrawn", []) if d.get("changes_marts")]
    return withdrawn + [f["path"] for f in summary.get("files", []) if f["status"] == "loaded"]


def announce_if_changed(summary: dict) -> dict:
    """Let the run's asset event through only when the warehouse changed; otherwise skip (no event).

    A skipped task emits no asset event, so `quarterly_indicators` does not recompute after a night that
    loaded nothing, and the skipped task shows the no-op in the grid.
    """
    changed = changed_files(summary)
    if not changed:
        seen = len(summary.get("files", []))
        _skip(f"nothing new: no file changed the warehouse ({seen} file(s) seen, none loaded); no asset event")
    log.info("%d file(s) changed the warehouse: %s", len(changed), [printable(p) for p in changed])
    return {"changed": changed}


def _skip(reason: str):
    from airflow.sdk.exceptions import AirflowSkipException

    raise AirflowSkipException(reason)


def plan_quarterly_run(*, run_type: str, logical_date: datetime | None, quarters: list[str] | None = None,
                       publish_vintage: bool = False, now: datetime | None = None) -> dict:
    """Which quarters a `quarterly_indicators` run recomputes, and which it publishes as a vintage.

    - `quarters` given (manual runs): those.
    - the quarter-close cron run (`scheduled`): the quarter that just closed, published as a vintage
      (`closed_at`, the local day of the close, goes to `publish_vintages`).
    - a `backfill` run: the quarter that had closed at its logical date (2026-07-01 → 2026Q2); published
      only with `publish_vintage` in the backfill's run conf.
    - an asset-triggered or manual run without quarters: the quarters the deliveries and decisions since the
      last run touched (`marts.dirty_quarters`; they are recomputed in every case), no vintage unless asked
      (then of the quarters named, or else of the last closed quarter). The `full` param recomputes all.
    """
    from quality_pipeline.indicators.vintages import quarters_to_publish_at_close

    run_type = str(getattr(run_type, "value", run_type))  # the Task SDK's DagRunType prints as DagRunType.X
    requested = sorted(set(quarters or []))
    closing = run_type in ("scheduled", "backfill") and logical_date is not None
    closed_at = local_day(logical_date) if run_type == "scheduled" and logical_date is not None else None
    vintage: list[str] = []
    if publish_vintage:
        if requested:
            vintage = requested
        else:
            vintage = [closed_quarter(logical_date if closing else now or local_now())]
    if requested:
        recompute = requested
    elif closing:
        at_close = quarters_to_publish_at_close(closed_at) if closed_at else []
        recompute = sorted({closed_quarter(logical_date), *vintage, *at_close})
    else:
        recompute = []  # every quarter with data
    plan = {"run_type": run_type, "quarters": recompute, "vintage_quarters": vintage,
            "closed_at": closed_at.isoformat() if closed_at else None}
    log.info("plan: recompute %s; vintage of %s%s", recompute or "the quarters changed since the last run",
             vintage or "none",
             f", and of the quarter closed on {closed_at}" if closed_at else "")
    return plan


def refresh_indicators(quarters: list[str] | None = None, today: date | None = None, *, full: bool = False) -> dict:
    """Recompute the quarters whose current versions changed (`marts.dirty_quarters`) and `quarters`, their
    years and the years still provisional, or with `full` every quarter and year, with each period's status as
    of `today` (default: today in the district). Nothing when nothing changed and no quarter is asked for."""
    from quality_pipeline.indicators.compute import refresh
    from quality_pipeline.region import load_region
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import write_session

    settings = load_settings()
    with write_session(settings) as con:
        table = refresh(con, load_region(settings.region_file), settings.index_file, quarters or None, today,
                        full=full)
    done = sorted(table["quarter"].unique().tolist())
    log.info("indicators %s for %s (%d rows)", "recomputed in full" if full else "refreshed",
             done or "no quarter (nothing changed)", len(table))
    return {"quarters": done, "rows": len(table)}


def publish_vintages(quarters: list[str], *, run_id: str, closed_at=None) -> dict:
    """Freeze the figures of `quarters`, and given `closed_at` (a quarter-close run) of the quarter that closed.

    Idempotent per run: a retry gets the same vintages back while the figures are unchanged. A requested
    quarter without figures fails; the closed quarter without any is skipped with a warning.
    """
    from quality_pipeline.indicators.vintages import publish_vintage, quarters_to_publish_at_close
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import write_session

    closed = quarters_to_publish_at_close(closed_at) if closed_at is not None else []
    vintages = {}
    with write_session(load_settings()) as con:
        for quarter in sorted(set(quarters) | set(closed)):
            has_rows = con.execute("SELECT count(*) FROM marts.quarterly_indicators WHERE quarter = ?",
                                   [quarter]).fetchone()[0]
            if not has_rows and quarter not in quarters:
                log.warning("quarter %s closed without any figures: no vintage published", quarter)
                continue
            vintages[quarter] = publish_vintage(con, quarter, run_id)
    log.info("vintages published: %s", vintages or "none")
    return {"vintages": vintages}


def load_reference_data(*, run_id: str) -> dict:
    """Check the hand-kept seeds and load them into `ref.*` (nothing changes when the version and bytes are the same)."""
    from quality_pipeline.reference import load_reference
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import write_session

    with write_session(load_settings()) as con:
        summary = load_reference(con, run_id=run_id)
    log.info("reference seeds %s: %s%s", summary["version"], summary["rows"], "" if summary["changed"] else " (unchanged)")
    return summary


def publish_planned_vintages(plan: dict, *, run_id: str) -> dict:
    """`publish_vintages` for what `plan_quarterly_run` decided; skipped when the run publishes none."""
    if not plan["vintage_quarters"] and not plan["closed_at"]:
        _skip("this run publishes no vintage (not the quarter close, and publish_vintage is off)")
    closed_at = date.fromisoformat(plan["closed_at"]) if plan["closed_at"] else None
    return publish_vintages(plan["vintage_quarters"], run_id=run_id, closed_at=closed_at)


def build_reports(quarters: list[str]) -> dict:
    """Write the quarterly reports (HTML and XLSX) of `quarters` under $QUALITY_REPORTS_DIR, from the published warehouse."""
    if not quarters:
        _skip("no quarter was recomputed: no report to write")
    from quality_pipeline.report import build_reports as write_reports

    written = write_reports(list(quarters))
    log.info("reports written: %s", [str(p.html) for p in written])
    return {"reports": {p.quarter: {"html": str(p.html), "xlsx": str(p.xlsx)} for p in written}}
