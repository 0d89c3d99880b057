"""Task bodies of the DAGs: thin, testable without Airflow, returning JSON-serialisable summaries."""

from __future__ import annotations

import logging
from dataclasses import asdict

log = logging.getLogger(__name__)


class NeedsAttention(RuntimeError):
    """Files were rejected or held: the data that could load has loaded, but a person must look."""


def ingest(feeds: tuple[str, ...], *, run_id: str, release: list[str] | None = None,
           reprocess: list[str] | None = None) -> dict:
    """Load every new file of the given feeds (one GX import for all) and return what became of each file."""
    from quality_pipeline.loading.ingest import ingest_feed
    from quality_pipeline.settings import load_settings
    from quality_pipeline.validation.gate import Gate

    settings = load_settings()
    gate = Gate(docs_dir=settings.reports_dir / "validation" / run_id.replace(":", "_"))
    files = []
    for feed in feeds:
        results = ingest_feed(feed, run_id=run_id, settings=settings, gate=gate, release=tuple(release or ()),
                              reprocess=tuple(reprocess or ()))
        for result in results:
            log.info("%s %s: %s (read %d, loaded %d, rejected %d, duplicates %d, held %d)%s", feed, result.path,
                     result.status, result.rows_read, result.rows_loaded, result.rows_rejected,
                     result.duplicates_dropped, result.rows_held, f" — {result.reason}" if result.reason else "")
            files.append(asdict(result))
    docs = gate.build_docs()
    if docs:
        log.info("Great Expectations Data Docs: %s", docs)
    return {"run_id": run_id, "files": files, "data_docs": str(docs) if docs else None}


def raise_if_attention(summary: dict) -> None:
    bad = [f for f in summary.get("files", []) if f["status"] in ("rejected", "held")]
    if bad:
        lines = [f"{f['status']}: {f['path']} — {f['reason']}" for f in bad]
        raise NeedsAttention(
            f"{len(bad)} file(s) need attention (the rest loaded):\n" + "\n".join(lines)
            + "\nSee audit.files; release a held file by triggering the DAG with param release=[<path>]."
        )
    log.info("all %d new file(s) loaded", len(summary.get("files", [])))


def refresh_indicators(quarters: list[str] | None = None) -> dict:
    from quality_pipeline.indicators.compute import refresh
    from quality_pipeline.region import load_region
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import write_session

    settings = load_settings()
    with write_session(settings) as con:
        table = refresh(con, load_region(settings.region_file), settings.index_file, quarters or None)
    done = sorted(table["quarter"].unique().tolist())
    log.info("indicators refreshed for %s (%d rows)", done or "no quarter", len(table))
    return {"quarters": done, "rows": len(table)}
