"""A person's decisions on a delivery: withdraw it, release it (publish a held file anyway) or keep it held.

Each decision is recorded on the file's `audit.files` row (`decision`, `decided_by`, `decided_at`,
`decision_reason`, `decided_run_id`), whoever takes it: the ingest DAG's `withdraw` / `release` params, the
held-file decision of the workbench, `make withdraw` and `make release`. Nothing here imports Airflow.

Withdrawing never deletes: the file's rows stay in `raw.<feed>`, its status becomes `withdrawn`, and in the
same transaction `core.*` leaves out its rows, so earlier versions of its keys come back (`loading.current`,
which also records the quarters that changed in `marts.dirty_quarters`). The marts change only when they are
recomputed (the ingest run announces the change; `make withdraw` recomputes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from quality_pipeline.settings import Settings
from quality_pipeline.terminal import printable

RELEASED, WITHDRAWN, KEPT_HELD = "released", "withdrawn", "kept_held"
# What a person may withdraw: a loaded delivery (its rows leave core.*) or a held one (it will never load).
WITHDRAWABLE = ("loaded", "held")


class CannotDecide(ValueError):
    """The decision does not apply: an unknown path, a file already withdrawn, or one in the wrong state.
    The message says why, in Chinese and English."""


@dataclass(frozen=True)
class FileDecision:
    """What a decision did to one file: enough for a task summary (JSON-serialisable through `as_dict`)."""

    file_id: int
    feed: str
    path: str
    decision: str
    previous_status: str
    status: str
    decided_by: str
    decided_at: str
    reason: str | None
    run_id: str

    @property
    def changes_marts(self) -> bool:
        """Whether the marts must be recomputed: a loaded file's rows left core.*."""
        return self.decision == WITHDRAWN and self.previous_status == "loaded"

    def as_dict(self) -> dict:
        return {**asdict(self), "changes_marts": self.changes_marts}


def relative_path(spec: str, landing_dir: Path) -> str:
    """The path as `audit.files` records it: relative to the landing folder, whichever way it was typed."""
    typed = Path(spec.strip())
    if typed.resolve().is_relative_to(landing_dir.resolve()):  # data/landing/… or an absolute path inside it
        return typed.resolve().relative_to(landing_dir.resolve()).as_posix()
    if typed.is_absolute():
        raise CannotDecide(f"{printable(spec)} 不在接收目录 {printable(landing_dir)} 内 / "
                           "is not inside the landing folder")
    return typed.as_posix()


def _required(value: str | None, what_zh: str, what_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise CannotDecide(f"须填写{what_zh} / {what_en} is required")
    return text


def find_file(con, relative: str) -> tuple[int, str, str]:
    """(file_id, feed, status) of the newest audit.files row of `relative` (a path, or a file_id)."""
    row = con.execute(
        "SELECT file_id, feed, status FROM audit.files WHERE path = ? OR CAST(file_id AS VARCHAR) = ? "
        "ORDER BY (path = ?) DESC, file_id DESC LIMIT 1", [relative, relative, relative]).fetchone()
    if row is None:
        raise CannotDecide(f"没有这个文件的记录 / no file with this path in audit.files: {printable(relative)}")
    return row


def published_file(settings: Settings, relative: str) -> tuple[int, str, str]:
    """`find_file` in the published warehouse (what analysts see), refused when there is no warehouse yet."""
    from quality_pipeline.warehouse.writer import open_published

    if not settings.warehouse.exists():
        raise CannotDecide(f"仓库尚不存在 / no warehouse yet: {printable(settings.warehouse)}")
    con = open_published(settings.warehouse)
    try:
        return find_file(con, relative)
    finally:
        con.close()


def record(con, file_id: int, decision: str, *, actor: str, run_id: str, reason: str | None,
           status: str | None = None) -> datetime:
    """Write the decision columns (and a new status, if given) of one audit.files row; returns the time."""
    now = datetime.now()
    con.execute(
        "UPDATE audit.files SET decision = ?, decided_by = ?, decided_at = ?, decision_reason = ?, "
        "decided_run_id = ?, status = coalesce(?, status) WHERE file_id = ?",
        [decision, actor, now, reason, run_id, status, file_id])
    return now


def _decide(settings: Settings, spec: str, decision: str, *, allowed: tuple[str, ...], actor: str, run_id: str,
            reason: str | None, status: str | None) -> FileDecision:
    from quality_pipeline.warehouse.transaction import transaction
    from quality_pipeline.warehouse.writer import write_session

    relative = relative_path(spec, settings.landing_dir)
    with write_session(settings) as con:
        file_id, feed, was = find_file(con, relative)
        again = _same_run(con, file_id, decision, run_id)
        if again is not None:  # a retried task: the decision stands, recorded once
            return again
        if was == WITHDRAWN:
            raise CannotDecide(f"该文件已撤回 / the file is already withdrawn: {printable(relative)}")
        if was not in allowed:
            raise CannotDecide(f"该文件状态为 {was}，不能{_ZH[decision]} / the file is {was}, not "
                               f"{' or '.join(allowed)}: {printable(relative)}")
        with transaction(con):
            when = record(con, file_id, decision, actor=actor, run_id=run_id, reason=reason, status=status)
            if status == WITHDRAWN:
                _withdraw_current_versions(con, feed, file_id)
    return FileDecision(file_id, feed, relative, decision, was, status or was, actor, when.isoformat(" ", "seconds"),
                        reason, run_id)


def _withdraw_current_versions(con, feed: str, file_id: int) -> None:
    """core.<feed> without the withdrawn file: its keys' earlier versions (and keys it withdrew) come back,
    and the quarters that changed are recorded for the marts (`loading.current`)."""
    from quality_pipeline.feeds import load_feed
    from quality_pipeline.loading.current import refresh_file

    refresh_file(con, load_feed(feed), file_id)


def _same_run(con, file_id: int, decision: str, run_id: str) -> FileDecision | None:
    """The decision already recorded on the file by this run (a retry of the same task), if any."""
    row = con.execute(
        "SELECT feed, path, status, decided_by, decided_at, decision_reason FROM audit.files "
        "WHERE file_id = ? AND decision = ? AND decided_run_id = ?", [file_id, decision, run_id]).fetchone()
    if row is None:
        return None
    feed, path, status, actor, when, reason = row
    was = "loaded" if decision == WITHDRAWN and status == WITHDRAWN else status  # the task's first try saw this
    return FileDecision(file_id, feed, path, decision, was, status, actor, when.isoformat(" ", "seconds"), reason,
                        run_id)


_ZH = {WITHDRAWN: "撤回", KEPT_HELD: "继续暂缓", RELEASED: "放行"}


def withdraw_file(settings: Settings, path: str, *, reason: str, actor: str, run_id: str) -> FileDecision:
    """Withdraw a loaded or held delivery: status `withdrawn`, with who, when and why; nothing is deleted.

    Its rows leave `core.*` at once (earlier versions of its keys come back, keys it withdrew come back
    too); the marts follow when they are recomputed. Refused for an unknown path, a file already
    withdrawn, and a rejected, duplicate or ignored file (nothing of it was published).
    """
    return _decide(settings, path, WITHDRAWN, allowed=WITHDRAWABLE, actor=_required(actor, "决定人", "who"),
                   run_id=run_id, reason=_required(reason, "撤回理由", "a reason"), status=WITHDRAWN)


def keep_held(settings: Settings, path: str, *, actor: str, run_id: str, reason: str | None = None) -> FileDecision:
    """Record that a person looked at a held file and left it held (it stays out of the warehouse)."""
    return _decide(settings, path, KEPT_HELD, allowed=("held",), actor=_required(actor, "决定人", "who"),
                   run_id=run_id, reason=(reason or "").strip() or None, status=None)
