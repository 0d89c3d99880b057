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
from collections.abc import Callable
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


def decision_parser(prog: str, doc: str | None, *, file_help: str, reason_help: str,
                    by_help: str) -> argparse.ArgumentParser:
    """The command line of `make release` and `make withdraw`: FILE, --reason, --by and --no-wait."""
    parser = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help=file_help)
    parser.add_argument("--reason", default="", help=reason_help)
    parser.add_argument("--by", default="", help=by_help)
    parser.add_argument("--no-wait", action="store_true", help="stop at once if a `make run` is in progress")
    return parser


def decide_through_dag(args: argparse.Namespace, out: TextIO, *, check: Callable[[object, str], str], refusal: str,
                       announce: Callable[[str, str, str], str], conf: Callable[[str, str, str], dict],
                       then: tuple[str, ...] = ()) -> int:
    """Look the file up (`check` gives its feed or raises CannotDecide), then run its ingest DAG with
    `conf(relative, feed, actor)` under `make run`'s lock, and the DAGs in `then` after it."""
    from quality_pipeline import run
    from quality_pipeline.loading.ingest import default_actor
    from quality_pipeline.settings import load_settings

    settings = load_settings()
    try:
        relative = relative_path(args.file, settings.landing_dir)
        feed = check(settings, relative)
    except CannotRelease as exc:
        print(f"{refusal}: {exc}", file=out, flush=True)
        return NOT_HELD
    dag = dag_of(feed)
    actor = args.by.strip() or default_actor()
    print(announce(printable(relative), dag, printable(actor)), file=out, flush=True)
    options = [*(["--no-wait"] if args.no_wait else []), "--conf", json.dumps(conf(relative, feed, actor),
                                                                               ensure_ascii=False)]
    return run.main([*options, dag, *(arg for name in then for arg in ("--then", name))], out=out)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = decision_parser("python -m quality_pipeline.release", __doc__,
                           file_help="the held file's path, as in audit.files (e.g. product_sampling/2026Q3.xlsx)",
                           reason_help="why (recorded with the decision)",
                           by_help="who releases it (default: $USER)").parse_args(argv)
    if not args.file.strip():
        print("usage: make release FILE=<path as in audit.files> [REASON=...] [BY=...]", file=out)
        return NOT_HELD
    return decide_through_dag(
        args, out, check=held_file, refusal="cannot release / 无法发布",
        announce=lambda relative, dag, _actor: f"releasing {relative} through {dag} ...",
        conf=lambda relative, feed, actor: {"release": [relative], "feeds": [feed], "by": actor,
                                            "reason": args.reason.strip()})


if __name__ == "__main__":
    from quality_pipeline.run import leave

    leave(main())  # a run stopped by SIGTERM or Ctrl-C leaves as make run does
