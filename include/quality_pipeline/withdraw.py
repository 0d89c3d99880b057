"""`make withdraw FILE=<path> REASON=<why>`: withdraw a delivery through its ingest DAG, then recompute the marts.

As `make release` does, the file is looked up in the published warehouse first, so an unknown path, a file
already withdrawn or one that was never published is refused with its reason before any Airflow run
starts. Then, under `make run`'s lock and logs, the feed's ingest DAG runs with
`{"withdraw": [<path>], "reason": <why>, "feeds": [<feed>], "by": <who>}` (the Params form's `withdraw`),
and `quarterly_indicators` recomputes every quarter and year without the file's rows. The actor is BY=,
else $USER.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from quality_pipeline.loading.decisions import WITHDRAWABLE, CannotDecide, published_file, relative_path
from quality_pipeline.release import dag_of
from quality_pipeline.terminal import printable

REFUSED = 2


def withdrawable(settings, relative: str) -> str:
    """The feed of the file at `relative`, or why it cannot be withdrawn (CannotDecide, in Chinese and English)."""
    _, feed, status = published_file(settings, relative)
    if status == "withdrawn":
        raise CannotDecide(f"该文件已撤回 / the file is already withdrawn: {printable(relative)}")
    if status not in WITHDRAWABLE:
        raise CannotDecide(f"该文件状态为 {status}，未曾发布，无需撤回 / the file is {status}; nothing of it was "
                           f"published: {printable(relative)}")
    return feed


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.withdraw", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="the file's path, as in audit.files (e.g. enforcement/cases/cases_0405.csv)")
    parser.add_argument("--reason", default="", help="why it is withdrawn (required)")
    parser.add_argument("--by", default="", help="who withdraws it (default: $USER)")
    parser.add_argument("--no-wait", action="store_true", help="stop at once if a `make run` is in progress")
    args = parser.parse_args(argv)
    if not args.file.strip() or not args.reason.strip():
        print("usage: make withdraw FILE=<path as in audit.files> REASON=<why> [BY=<who>]", file=out)
        return REFUSED
    from quality_pipeline.loading.ingest import default_actor
    from quality_pipeline.settings import load_settings

    settings = load_settings()
    try:
        relative = relative_path(args.file, settings.landing_dir)
        feed = withdrawable(settings, relative)
    except CannotDecide as exc:
        print(f"cannot withdraw / 无法撤回: {exc}", file=out, flush=True)
        return REFUSED
    from quality_pipeline import run

    dag = dag_of(feed)
    actor = args.by.strip() or default_actor()
    print(f"withdrawing {printable(relative)} through {dag} (by {printable(actor)}), then recomputing the "
          "indicators ...", file=out, flush=True)
    conf = {"withdraw": [relative], "reason": args.reason.strip(), "feeds": [feed], "by": actor}
    return run.main([*(["--no-wait"] if args.no_wait else []), "--conf", json.dumps(conf, ensure_ascii=False), dag,
                     "--then", "quarterly_indicators"], out=out)


if __name__ == "__main__":
    sys.exit(main())
