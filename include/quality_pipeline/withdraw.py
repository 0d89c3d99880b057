"""`make withdraw FILE=<path> REASON=<why>`: withdraw a delivery through its ingest DAG, then recompute the marts.

As `make release` does, the file is looked up in the published warehouse first, so an unknown path, a file
already withdrawn or one that was never published is refused with its reason before any Airflow run
starts. Then, under `make run`'s lock and logs, the feed's ingest DAG runs with
`{"withdraw": [<path>], "reason": <why>, "feeds": [<feed>], "by": <who>}` (the Params form's `withdraw`),
and `quarterly_indicators` recomputes every quarter and year without the file's rows. The actor is BY=,
else $USER.
"""

from __future__ import annotations

import sys
from typing import TextIO

from quality_pipeline.loading.decisions import WITHDRAWABLE, CannotDecide, published_file
from quality_pipeline.release import NOT_HELD, decide_through_dag, decision_parser
from quality_pipeline.terminal import printable

REFUSED = NOT_HELD  # the same exit status: refused before any run


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
    args = decision_parser("python -m quality_pipeline.withdraw", __doc__,
                           file_help="the file's path, as in audit.files (e.g. enforcement/cases/cases_0405.csv)",
                           reason_help="why it is withdrawn (required)",
                           by_help="who withdraws it (default: $USER)").parse_args(argv)
    if not args.file.strip() or not args.reason.strip():
        print("usage: make withdraw FILE=<path as in audit.files> REASON=<why> [BY=<who>]", file=out)
        return REFUSED
    return decide_through_dag(
        args, out, check=withdrawable, refusal="cannot withdraw / 无法撤回",
        announce=lambda relative, dag, actor: (f"withdrawing {relative} through {dag} (by {actor}), then "
                                               "recomputing the indicators ..."),
        conf=lambda relative, feed, actor: {"withdraw": [relative], "reason": args.reason.strip(), "feeds": [feed],
                                            "by": actor},
        then=("quarterly_indicators",))


if __name__ == "__main__":
    from quality_pipeline.run import leave

    leave(main())  # a run stopped by SIGTERM or Ctrl-C leaves as make run does
