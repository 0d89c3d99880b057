"""One file per task: `discover_work` (on the writer) lists the files to read, `prepare_work` (anywhere, in
parallel) stages each without the warehouse, `publish_work` (on the writer) publishes each in one transaction.

`ingest.ingest_feed` does the same in one process; the ingest DAGs map a task instance per file over these.
A work item is a JSON-able dict: the file's feed, path, bytes (sha256, size, mtime) and, for a file seen
before (release, reprocess), its file_id and delivery_seq.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

from quality_pipeline.feeds import load_feed
from quality_pipeline.loading.audit import committed_in_run, remember_landing_file, seen_files
from quality_pipeline.loading.discovery import Candidate, FileChanged, discover, take_snapshot, unseen
from quality_pipeline.loading.ingest import (
    Context,
    FileResult,
    Gone,
    Release,
    _record_ignored,
    default_actor,
    landing_candidate,
    publish_staged,
    screen,
    settle_known,
)
from quality_pipeline.loading.stage import MANIFEST, load_staged, prepare
from quality_pipeline.region import load_region
from quality_pipeline.settings import Settings
from quality_pipeline.terminal import printable
from quality_pipeline.warehouse.writer import write_session

log = logging.getLogger(__name__)
STAGED_NAME = "staged"
PUBLISH_ORDER_NAME = "publish-order.json"
# What a publish task logs when an earlier task of its run published its file and recorded the result
RECORDED_BEFORE = "published earlier in this run, in the write session of another publish task: its recorded result"
STALE_AFTER_S = 2 * 24 * 3600  # staged folders of runs that died; a live one lives minutes


def staging_root(settings: Settings) -> Path:
    """Where prepared files wait for the writer: beside the writer's working copy, never under `snapshots`
    (a write session clears that folder while other tasks may be preparing)."""
    return settings.work_dir / STAGED_NAME


def run_folder(settings: Settings, run_id: str) -> Path:
    return staging_root(settings) / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)


def discover_work(feeds: tuple[str, ...], *, run_id: str, settings: Settings, release: tuple[str, ...] = (),
                  reprocess: tuple[str, ...] = (), released_by: dict | None = None) -> tuple[list[FileResult], list[dict]]:
    """(files settled at once: refused, duplicate, ignored; files to read). Needs the writer: what was seen
    before is in `audit.files`. A held file named in `release` is released as `released_by` ({actor, reason};
    default the user running the process)."""
    settled: list[FileResult] = []
    work: list[dict] = []
    with write_session(settings) as con:
        _clear_stale_staging(settings)
        for name in feeds:
            feed = load_feed(name)
            ctx = Context(con, None, feed, None, run_id, date.today())
            for cand in discover(settings.landing_dir, feed):
                screened = screen(ctx, cand)
                if isinstance(screened, str):
                    work.append(_item(name, cand, screened))
                elif screened is not None:
                    settled.append(screened)
            for cand in unseen(settings.landing_dir, feed):
                if result := _record_ignored(ctx, cand):
                    settled.append(result)
            for specs, status in ((release, "held"), (reprocess, None)):
                for spec in specs:
                    for file_id, relative, sha, seq, _was in seen_files(ctx, spec, status=status):
                        cand = landing_candidate(settings.landing_dir, relative)
                        item = _item(name, cand, sha, file_id=file_id, delivery_seq=seq, releasing=status == "held")
                        if item["releasing"]:
                            item["released_by"] = released_by or {"actor": default_actor(), "reason": None}
                        work.append(item)
    return settled, work


def _item(feed: str, cand: Candidate, sha: str, *, file_id: int | None = None, delivery_seq: int | None = None,
          releasing: bool = False) -> dict:
    return {"feed": feed, "path": cand.relative, "sha256": sha, "size": cand.size,
            "modified_at": cand.modified_at.isoformat(), "mtime_ns": cand.mtime_ns, "inode": cand.inode,
            "file_id": file_id, "delivery_seq": delivery_seq, "releasing": releasing}


def prepare_work(item: dict, *, run_id: str, settings: Settings, gate, today: date | None = None) -> dict:
    """Stage one work item (no warehouse). Returns the item with `staged` (its folder), or with `left` (why
    it is left for the next run: still being written, or changed since discovery)."""
    feed = load_feed(item["feed"])
    folder = run_folder(settings, run_id) / f"{item['feed']}-{item['sha256'][:16]}"
    shutil.rmtree(folder, ignore_errors=True)  # a retry starts again
    again = item["file_id"] is not None
    cand = (landing_candidate(settings.landing_dir, item["path"]) if again else
            Candidate(settings.landing_dir / item["path"], item["path"], item["size"],
                      datetime.fromisoformat(item["modified_at"])))
    snapshots = run_folder(settings, run_id) / "snapshots"
    try:
        snap = take_snapshot(cand, snapshots)
    except (FileChanged, OSError) as exc:
        if again:
            raise Gone(item["path"]) from exc
        return {**item, "left": f"still being written or gone: {exc}"}
    with snap:
        if snap.sha256 != item["sha256"]:
            if again:
                raise Gone(item["path"])
            return {**item, "left": "changed since it was discovered"}
        copy = Candidate(snap.path, cand.relative, snap.size, cand.modified_at)
        prepare(copy, item["sha256"], feed, load_region(settings.region_file), gate, today or date.today(), folder)
    return {**item, "staged": str(folder)}


def in_delivery_order(work: list[dict], prepared) -> list[dict]:
    """The prepared files to publish, in discovery order, each with `before`: the staged files of its feed
    discovered before it in this run. Publish tasks start in whatever order their prepares finish; publishing
    each feed's files in discovery order (a task publishes its earlier siblings first when none has yet) keeps
    which delivery wins a key, which periods a snapshot restates and which month `never_falls` compares with
    exactly as one process reading the files in turn. A file whose prepare failed has no entry."""
    ready = {(p["feed"], p["path"]): p for p in (prepared or []) if p}
    out, earlier = [], {}
    for w in work or []:
        p = ready.get((w["feed"], w["path"]))
        if p is None:
            continue
        siblings = earlier.setdefault(w["feed"], [])
        out.append({**p, "before": list(siblings)})
        if p.get("staged"):
            siblings.append(p)
    return out


_NOT_YET = object()


def _marker(settings: Settings, run_id: str, item: dict) -> Path:
    return run_folder(settings, run_id) / "published" / f"{item['feed']}-{item['sha256'][:16]}.json"


def _recorded(settings: Settings, run_id: str, item: dict):
    """What publishing `item` gave in this run (a result, or None for nothing to do), or _NOT_YET."""
    marker = _marker(settings, run_id, item)
    if not marker.exists():
        return _NOT_YET
    return json.loads(marker.read_text(encoding="utf-8"))["result"]


def publish_work(prepared: dict, *, run_id: str, settings: Settings, gate=None, today: date | None = None,
                 gate_of=None, copy_out: bool = True) -> dict | None:
    """Publish one prepared item on the writer, after the earlier files of its feed in this run (`before`) that
    no sibling task has published yet; its result, or None when there was nothing to do (left for the next
    run, or published meanwhile by another run). `gate_of(item)` gives each file its own gate (and then each
    result its `batch_docs`); without it every file is validated by `gate`.

    Each file is committed in one transaction of the writer's working copy, all of them in one write session
    (on a DuckLake catalog a session costs about 100 ms to open and close). Given `gate_of` and the run's
    publish order (`write_publish_order`), the same session then publishes every later file of the run that
    no task has published yet, in that order, and records each result for its own task, which returns it
    without opening the warehouse: a night is a few sessions, not one per file. The first such file that
    fails is left, with the rest, to its own task, where it fails with its own traceback, as it would have.

    With `copy_out` False the working copy is not copied out to the published warehouse after the session:
    the caller publishes once for all the files of its run (`publish_pending`); until then readers see the
    warehouse as it was before them, and if that never happens the writer's next session publishes what was
    committed."""
    if gate is None and gate_of is None:
        raise TypeError("publish_work needs a gate or gate_of")
    todo = [e for e in prepared.get("before", ()) if _recorded(settings, run_id, e) is _NOT_YET]
    recorded = _recorded(settings, run_id, prepared)
    if not todo and recorded is not _NOT_YET:
        log.info("%s: %s", printable(prepared["path"]), RECORDED_BEFORE)
        return recorded
    with write_session(settings, publish_after=copy_out) as con:
        for earlier in todo:
            if _recorded(settings, run_id, earlier) is not _NOT_YET:  # under the lock: a sibling got there
                continue
            log.info("%s: published first, as it was delivered before %s", printable(earlier["path"]),
                     printable(prepared["path"]))
            _publish_recorded(con, earlier, run_id=run_id, settings=settings,
                              gate=gate_of(earlier) if gate_of else gate, today=today, docs=gate_of is not None)
        result = _recorded(settings, run_id, prepared)
        if result is _NOT_YET:
            result = _publish_recorded(con, prepared, run_id=run_id, settings=settings,
                                       gate=gate_of(prepared) if gate_of else gate, today=today, docs=gate_of is not None)
        if gate_of is not None:
            _publish_the_rest(con, prepared, run_id=run_id, settings=settings, gate_of=gate_of, today=today)
    return result


def _publish_the_rest(con, prepared: dict, *, run_id: str, settings: Settings, gate_of, today: date | None) -> None:
    """Publish, in the run's publish order, every file of it no task has published yet (see `publish_work`)."""
    for item in read_publish_order(settings, run_id):
        if _recorded(settings, run_id, item) is not _NOT_YET:
            continue
        try:
            _publish_recorded(con, item, run_id=run_id, settings=settings, gate=gate_of(item), today=today, docs=True)
        except Exception as exc:  # its own task publishes it again, and fails or not on its own
            log.warning("%s: not published with %s (%s: %s); left to its own task, with the files after it",
                        printable(item["path"]), printable(prepared["path"]), type(exc).__name__, printable(exc))
            return
        log.info("%s: published in the session of %s", printable(item["path"]), printable(prepared["path"]))


def write_publish_order(settings: Settings, run_id: str, ordered: list[dict]) -> None:
    """Record the run's files in the order they are published (`in_delivery_order`, without each one's
    `before`), for the first publish task to publish them all in one session. Written whole, then renamed."""
    path = run_folder(settings, run_id) / PUBLISH_ORDER_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    items = [{k: v for k, v in item.items() if k != "before"} for item in ordered]
    partial.write_text(json.dumps(items, ensure_ascii=False, default=str), encoding="utf-8")
    partial.replace(path)


def read_publish_order(settings: Settings, run_id: str) -> list[dict]:
    """The run's publish order as `write_publish_order` wrote it ([] when it did not, or it cannot be read)."""
    try:
        return json.loads((run_folder(settings, run_id) / PUBLISH_ORDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def publish_pending(settings: Settings) -> None:
    """Copy out to the published warehouse what the writer's working copy committed and has not published
    (the files of a run published with `copy_out` False); nothing when there is none."""
    with write_session(settings):
        pass


def _record(settings: Settings, run_id: str, item: dict, result: dict | None) -> None:
    marker = _marker(settings, run_id, item)
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(".part")
    partial.write_text(json.dumps({"result": result}, ensure_ascii=False, default=str), encoding="utf-8")
    partial.replace(marker)


def _publish_recorded(con, prepared: dict, *, run_id: str, settings: Settings, gate, today: date | None,
                      docs: bool) -> dict | None:
    """Publish one item in the session `con` and record its result for its task (with its Data Docs when
    `docs`: the gate is the file's own)."""
    result = _publish_one(con, prepared, run_id=run_id, settings=settings, gate=gate, today=today)
    if docs and result is not None:
        built = gate.build_docs()
        result = {**result, "batch_docs": str(built) if built else None}
    _record(settings, run_id, prepared, result)
    if prepared.get("staged"):  # after the record: a task retried in between finds the result, not a lost folder
        shutil.rmtree(prepared["staged"], ignore_errors=True)
    return result


def _publish_one(con, prepared: dict, *, run_id: str, settings: Settings, gate, today: date | None) -> dict | None:
    if prepared.get("left"):
        log.warning("%s: %s; left for the next run", printable(prepared["path"]), printable(prepared["left"]))
        return None
    feed = load_feed(prepared["feed"])
    if prepared["file_id"] is None and not (Path(prepared["staged"]) / MANIFEST).exists():
        committed = _committed_in_run(con, prepared, run_id)  # its staged folder removed after the commit
        if committed is not None:
            return committed
    staged = load_staged(Path(prepared["staged"]))
    who = prepared.get("released_by")
    ctx = Context(con, gate, feed, load_region(settings.region_file), run_id, today or date.today(),
                  released_by=Release(who["actor"], who.get("reason")) if who else None,
                  memory_limit=settings.writer_memory_limit)
    if prepared["file_id"] is None:
        settled = settle_known(ctx, staged.candidate(), staged.sha256)
        if settled is None:  # committed before: by this run (a task stopped before recording it), or another
            return _committed_in_run(con, prepared, run_id)
        if not isinstance(settled, str):  # the same bytes as another file
            return asdict(settled)

    def remember() -> None:  # what the file was on disk when discovery hashed it, so the next run need not hash it again
        remember_landing_file(con, feed.name, prepared["path"], prepared["sha256"], prepared["size"],
                              prepared.get("mtime_ns"), prepared.get("inode"))

    result = publish_staged(ctx, staged, file_id=prepared["file_id"], delivery_seq=prepared["delivery_seq"],
                            releasing=prepared["releasing"], before_commit=remember)
    return asdict(result)


def _committed_in_run(con, prepared: dict, run_id: str) -> dict | None:
    """The item's result as this run committed it (`audit.committed_in_run`), when a task of the run committed
    the file and stopped before recording what became of it; None when this run did not commit it."""
    committed = committed_in_run(con, prepared["feed"], prepared["path"], prepared["sha256"], run_id)
    if committed is not None:
        log.info("%s: committed earlier in this run by a task that stopped before recording its result; its "
                 "result from audit.files", printable(prepared["path"]))
    return committed


def _clear_stale_staging(settings: Settings) -> None:
    root = staging_root(settings)
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.is_dir() and not folder.is_symlink() and time.time() - folder.stat().st_mtime > STALE_AFTER_S:
            log.info("removing %s, staged by a run that never published it", folder)
            shutil.rmtree(folder, ignore_errors=True)


def release_one(path: str, *, run_id: str, settings: Settings, actor: str, reason: str | None, gate) -> list[dict]:
    """Publish one held file anyway (its batch checks waived), recording the decision `released` by `actor`.
    Only that file: unlike a run's `release`, no other new file of its feed is read on the way."""
    from quality_pipeline.loading.decisions import CannotDecide, find_file, relative_path
    from quality_pipeline.loading.ingest import _again

    relative = relative_path(path, settings.landing_dir)
    with write_session(settings) as con:
        _file_id, feed_name, was = find_file(con, relative)
        if was != "held":
            raise CannotDecide(f"该文件状态为 {was}，不是 held，无需发布 / the file is {was}, not held: "
                               f"{printable(relative)}")
        feed = load_feed(feed_name)
        ctx = Context(con, gate, feed, load_region(settings.region_file), run_id, date.today(),
                      settings.work_dir / "snapshots", Release(actor, reason), settings.writer_memory_limit)
        results = _again(ctx, settings.landing_dir, relative, status="held")
    return [asdict(r) for r in results]
