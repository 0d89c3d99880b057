"""`make release FILE=<path>`: publish a held file through its ingest DAG, as the Params form's `release` does.

The file is looked up in the published warehouse first, so a typo or a file that is not held is refused
with its reason before any Airflow run starts. The DAG then runs once under `make run`'s lock and logs
(`airflow dags test <dag> -c '{"release": [<path>], "feeds": [<feed>], "by": <who>}'`), with the same
environment as every other target: nothing to copy by hand. The file's `audit.files` row records the
decision `released`, who (BY=, else $USER) and when.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from quality_pipeline.feeds import dag_feeds
from quality_pipeline.loading.decisions import CannotDecide as CannotRelease
from quality_pipeline.loading.decisions import published_file, relative_path
from quality_pipeline.terminal import printable

NOT_HELD = 2
__all__ = ["CannotRelease", "dag_of", "held_file", "main", "relative_path"]


def dag_of(feed: str) -> str:
    """The ingest DAG that loads `feed`."""
    return next(f"ingest_{source}" for source, feeds in dag_feeds().items() if feed in feeds)


def held_file(settings, relative: str) -> str:
    """The feed of the held file at `relative`, or why it cannot be released (in Chinese and English)."""
    _, feed, status = published_file(settings, relative)
    if status != "held":
        raise CannotRelease(f"该文件状态为 {status}，不是 held，无需发布 / the file is {status}, not held: "
                            f"{printable(relative)}")
    return feed


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="the held file's path, as in audit.files (e.g. product_sampling/2026Q3.xlsx)")
    parser.add_argument("--no-wait", action="store_true", help="stop at once if a `make run` is in progress")
    parser.add_argument("--by", default="", help="who releases it (default: $USER)")
    parser.add_argument("--reason", default="", help="why (recorded with the decision)")
    args = parser.parse_args(argv)
    if not args.file.strip():
        print("usage: make release FILE=<path as in audit.files> [REASON=...] [BY=...]", file=out)
        return NOT_HELD
    from quality_pipeline.settings import load_settings

    settings = load_settings()
    try:
        relative = relative_path(args.file, settings.landing_dir)
        feed = held_file(settings, relative)
    except CannotRelease as exc:
        print(f"cannot release / 无法发布: {exc}", file=out, flush=True)
        return NOT_HELD
    from quality_pipeline import run

    dag = dag_of(feed)
    print(f"releasing {printable(relative)} through {dag} ...", file=out, flush=True)
    from quality_pipeline.loading.ingest import default_actor

    conf = {"release": [relative], "feeds": [feed], "by": args.by.strip() or default_actor(),
            "reason": args.reason.strip()}
    return run.main([*(["--no-wait"] if args.no_wait else []), "--conf", json.dumps(conf, ensure_ascii=False), dag],
                    out=out)


if __name__ == "__main__":
    sys.exit(main())
