"""Run a suite from `expectations/` over a pandas frame with Great Expectations and read back what failed.

One `Gate` per task, built by `gate_for`: it imports GX once, keeps an ephemeral context (never a
shared on-disk GX project), and can render Data Docs into the reports folder. Callers depend on the
`Validator` protocol, not on GX.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
from jinja2.bccache import BytecodeCache

from quality_pipeline.validation import fast_rules
from quality_pipeline.validation.docs import escape_result, localise_assets, shared_assets
from quality_pipeline.validation.suites import load_suite_dict, needs_history

if TYPE_CHECKING:
    from quality_pipeline.parsing.frame import ArrowTwins
    from quality_pipeline.settings import Settings

log = logging.getLogger(__name__)
# Rows of a part GX validates besides every row found failing (`Gate.validate_rows`), spread evenly over it.
SAMPLE_ROWS = 10_000


@dataclass
class Outcome:
    """One expectation's result: what it checked, whether it passed, and which rows (frame index) failed."""

    expectation: str
    kwargs: dict
    meta: dict
    success: bool
    unexpected_count: int = 0
    unexpected_index: list = field(default_factory=list)
    observed_value: object = None
    error: str | None = None

    @property
    def severity(self) -> str:
        return self.meta.get("severity", "warn")


# Called by `validate_rows` with the suite's expectations and fast_rules' unexpected-row masks, before GX confirms
# them: a caller may start work that only GX's verdict can make final (`loading.stage` writes a part meanwhile).
FastVerdict = Callable[[list[dict], list[np.ndarray]], None]


class Validator(Protocol):
    """What loading needs of a gate: run a named suite over a frame, and render what it ran as Data Docs."""

    def validate(self, suite_name: str, frame: pd.DataFrame, parameters: dict | None = None) -> list[Outcome]: ...

    def validate_rows(self, suite_name: str, frame: pd.DataFrame, parameters: dict | None = None, *,
                      history: bool | None = None, on_fast_verdict: FastVerdict | None = None,
                      twins: ArrowTwins | None = None) -> list[Outcome]: ...

    def build_docs(self) -> Path | None: ...


def gate_for(settings: Settings | None = None, *names: str) -> Gate:
    """The gate of one task (or one feed's load): its Data Docs go to `<reports>/validation/<names…>` (a run id's
    `:` made `_`), their static files shared by every site in `<reports>/data-docs-assets`; with no names, it
    writes none (a release decided in the UI re-checks, it does not document)."""
    if settings is None or not names:
        return Gate()
    return Gate(docs_dir=settings.reports_dir.joinpath("validation", *(n.replace(":", "_") for n in names)),
                assets_in=settings.reports_dir)


def _no_frame_fingerprints() -> None:
    """GX hashes every pandas batch under 1 GB (twice per validation) only to tag it with a fingerprint; we
    identify a batch by its file's sha256, and the hashing was half the validation time at 1M rows.
    A module constant of GX's, not public API: tests/unit/test_gate_internals.py fails if it goes away."""
    from great_expectations.execution_engine import pandas_execution_engine

    if not hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        raise RuntimeError("great_expectations no longer has pandas_execution_engine.HASH_THRESHOLD")
    pandas_execution_engine.HASH_THRESHOLD = 0


# Within one `Gate.validate`: {id(expectation): (its configuration, the expectation)}; None outside one.
_CONFIGURATIONS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("gx_configurations", default=None)


def _configurations_built_once_per_validation() -> None:
    """GX builds an expectation's `configuration` anew (a pydantic copy of every field) each time it is read; one
    validation makes several objects per expectation of the suite and reads each one's about ten times: 40 % of
    a small frame's validation. Inside a `Gate.validate` (`_one_configuration_each`), each object's is built
    once and reused; GX makes its expectation objects afresh for each validation and only reads their
    configuration, so what it computes is unchanged. Outside one, GX's own property runs. GX's property is replaced once per process; not public API:
    tests/unit/test_gate_internals.py fails if it goes away, and checks the outcomes are those of GX's own."""
    from great_expectations.expectations.expectation import Expectation

    prop = Expectation.__dict__.get("configuration")
    if not isinstance(prop, property) or prop.fget is None:
        raise RuntimeError("great_expectations' Expectation.configuration is no longer a property")
    if getattr(prop.fget, "built_once_per_validation", False):
        return
    build = prop.fget

    def configuration(self):
        built = _CONFIGURATIONS.get()
        if built is None:
            return build(self)
        hit = built.get(id(self))
        if hit is None or hit[1] is not self:
            hit = built[id(self)] = (build(self), self)
        return hit[0]

    configuration.built_once_per_validation = True
    configuration.__doc__ = build.__doc__
    Expectation.configuration = property(configuration)


@contextlib.contextmanager
def _one_configuration_each():
    token = _CONFIGURATIONS.set({})
    try:
        yield
    finally:
        _CONFIGURATIONS.reset(token)


class _CompiledTemplates(BytecodeCache):
    """Jinja's bytecode cache, in memory: one compiled copy of each of GX's Data Docs templates per process
    (keyed, as Jinja's own file cache is, by template file and source checksum)."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        checksum, code = self._codes.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        self._codes[bucket.key] = (bucket.checksum, bucket.code)


_TEMPLATES = _CompiledTemplates()


def _compile_docs_templates_once() -> None:
    """GX renders each Data Docs page through a view that makes a Jinja environment of its own, so every task's
    pages compiled the same templates again (most of the time of `build_docs`). Each view's environment gets
    the process's one in-memory bytecode cache instead. `DefaultJinjaView.env` is not public API:
    tests/unit/test_gate_internals.py fails if it goes away or stops being a Jinja environment."""
    from great_expectations.render.view.view import DefaultJinjaView

    if getattr(DefaultJinjaView.__init__, "shares_compiled_templates", False):
        return
    make = DefaultJinjaView.__init__

    def __init__(self, *args, **kwargs):
        make(self, *args, **kwargs)
        self.env.bytecode_cache = _TEMPLATES

    __init__.shares_compiled_templates = True
    DefaultJinjaView.__init__ = __init__


# True while `Gate.build_docs` builds a site whose static files are shared (`docs.shared_assets`).
_ASSETS_SHARED: contextvars.ContextVar[bool] = contextvars.ContextVar("gx_assets_shared", default=False)


def _static_files_copied_only_when_not_shared() -> None:
    """GX copies its 4 MB of static files into every site it builds (a third of `build_docs`); a site whose
    pages use the reports folder's shared copy skips that copy. Other sites, and GX outside `Gate.build_docs`,
    copy as before. `HtmlSiteStore.copy_static_assets` is not public API: tests/unit/test_gate_internals.py
    fails if it goes away."""
    from great_expectations.data_context.store.html_site_store import HtmlSiteStore

    copy = HtmlSiteStore.__dict__.get("copy_static_assets")
    if not callable(copy):
        raise RuntimeError("great_expectations' HtmlSiteStore.copy_static_assets is gone")
    if getattr(copy, "skipped_when_shared", False):
        return

    def copy_static_assets(self, *args, **kwargs):
        if _ASSETS_SHARED.get():
            return None
        return copy(self, *args, **kwargs)

    copy_static_assets.skipped_when_shared = True
    copy_static_assets.__doc__ = copy.__doc__
    HtmlSiteStore.copy_static_assets = copy_static_assets


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "great_expectations._docs_decorators"):
        logging.getLogger(name).setLevel(logging.WARNING)


IMPORTED_BEFORE = "Great Expectations was imported before this task, by its worker process"


def import_great_expectations():
    """Import GX and the project's custom expectations; log, once per process, whether this process imported
    them (seconds of CPU) or had them already (the worker that forked this task imported them first:
    `quality_pipeline.orchestration.preload`)."""
    already = "great_expectations" in sys.modules
    started = time.perf_counter()
    _quiet_gx()
    import great_expectations as gx

    import quality_pipeline.validation.custom_expectations  # noqa: F401  (registers them)

    if _IMPORT_LOGGED.get("pid") != os.getpid():  # once per process, forked ones included
        _IMPORT_LOGGED["pid"] = os.getpid()
        if already:
            log.info(IMPORTED_BEFORE)
        else:
            log.info("Great Expectations imported in this process: %.1f s", time.perf_counter() - started)
    if not already:
        # What importing GX made (about 275,000 objects that live as long as the process) is left out of the
        # garbage collector's full passes: a million-row file's objects otherwise trigger one that walks them
        # all (0.2 s per file, bench/results.md). In a worker that forks tasks, it also keeps the collector from
        # writing to those pages in every task process (Python's own advice for forking servers).
        gc.freeze()
    return gx


_IMPORT_LOGGED: dict[str, int] = {}


class Gate:
    """The `Validator` backed by Great Expectations (ephemeral context, suites from `expectations/`).

    Its Data Docs go to `docs_dir`; their static files to `docs_dir/static`, or, with `assets_in` (a reports
    folder), to the copy every site in that folder shares (`docs.shared_assets`)."""

    def __init__(self, docs_dir: Path | None = None, assets_in: Path | None = None):
        gx = import_great_expectations()
        _no_frame_fingerprints()
        _compile_docs_templates_once()
        _configurations_built_once_per_validation()
        _static_files_copied_only_when_not_shared()

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False}
        source = self.context.data_sources.add_pandas("extracts")
        self._asset = source.add_dataframe_asset("frame")
        self._batch_definition = self._asset.add_batch_definition_whole_dataframe("whole")
        self._suites: dict[str, object] = {}
        self.docs_dir = docs_dir
        self.assets_in = assets_in
        self._results = []

    def suite(self, name: str, history: bool | None = None):
        """The suite `name`; with `history` False only its rules that need no warehouse history, with True
        only those that do (`suites.HISTORY_RULES`), None all of them."""
        label = name if history is None else f"{name}[{'history' if history else 'local'}]"
        if label not in self._suites:
            from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

            raw = load_suite_dict(name)
            suite = self._gx.ExpectationSuite(name=label, meta=raw.get("meta", {}))
            for item in raw["expectations"]:
                if history is not None and needs_history(item) != history:
                    continue
                config = ExpectationConfiguration(type=item["type"], kwargs=item["kwargs"], meta=item["meta"])
                suite.add_expectation_configuration(config)
            self._suites[label] = self.context.suites.add(suite)
        return self._suites[label]

    def has_rules(self, name: str, history: bool | None = None) -> bool:
        return any(history is None or needs_history(item) == history for item in load_suite_dict(name)["expectations"])

    def validate(self, suite_name: str, frame: pd.DataFrame, parameters: dict | None = None, *,
                 history: bool | None = None) -> list[Outcome]:
        suite = self.suite(suite_name, history)
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        with _one_configuration_each():
            result = batch.validate(
                suite,
                result_format={"result_format": "COMPLETE", "partial_unexpected_count": 5},
                expectation_parameters=parameters or {},
            )
        outcomes = [self._outcome(r) for r in result.results]
        _trim_for_docs(result)  # kept for Data Docs: a sample of the failing rows is enough there
        self._results.append(result)
        self._forget_metrics()
        return outcomes

    def validate_rows(self, suite_name: str, frame: pd.DataFrame, parameters: dict | None = None, *,
                      history: bool | None = None, sample_rows: int = SAMPLE_ROWS,
                      on_fast_verdict: FastVerdict | None = None, twins: ArrowTwins | None = None) -> list[Outcome]:
        """GX's outcomes of a row suite over `frame`, at the cost of validating a sample of it.

        `fast_rules` finds each expectation's unexpected rows on the whole frame; GX then validates those rows
        plus `sample_rows` rows spread over the frame, and its outcomes are returned when, expectation by
        expectation, GX found exactly the rows `fast_rules` did (every rule here is per row or, for keys, within
        the rows that fail it, so GX's verdict on those rows is its verdict on the frame; passing rows left out
        of the sample are those both found passing, which `tests/hostile/test_gx_agreement.py` checks on the
        demo deliveries and the hostile files). Anything else — an expectation `fast_rules` does not evaluate,
        an error, one row of disagreement — and GX validates the whole frame, as `validate` does. The Data Docs
        of such a validation count the rows GX saw (the sample and the failing rows).

        `on_fast_verdict`, when given, is called with the expectations and fast_rules' masks before GX runs; what
        it starts must not outlive a verdict that differs (the outcomes returned are GX's either way).
        `twins`, the reader's Arrow twins of the frame's text columns, speed fast_rules up (only if they are
        this frame's)."""
        items = self.suite_items(suite_name, history)
        params = parameters or {}
        try:
            masks = fast_rules.unexpected(items, frame, params, twins.of(frame) if twins is not None else None)
        except Exception as exc:  # noqa: BLE001 - whatever it is, GX decides, on everything
            log.info("%s: validating every row with GX (%s: %s)", suite_name, type(exc).__name__, exc)
            return self.validate(suite_name, frame, parameters, history=history)
        if on_fast_verdict is not None:
            on_fast_verdict(items, masks)
        picked = _sample(len(frame), sample_rows)
        for mask in masks:
            picked |= mask
        # the picked rows of the columns the suite reads, in one take: GX copies its frame whole for each metric
        # of an expectation with a row condition (bench/results.md)
        columns = [frame.columns.get_loc(c) for c in read_columns(items, frame.columns)]
        rows = slice(None) if picked.all() else np.flatnonzero(picked)
        outcomes = self.validate(suite_name, frame.iloc[rows, columns], parameters, history=history)
        found = _by_expectation(items, masks, frame.index)
        for o in outcomes:
            key = _expectation_key(o.expectation, o.meta)
            if o.error or key not in found or set(o.unexpected_index) != found[key]:
                log.warning("%s: GX and fast_rules disagree on %s (%s); validating every row with GX",
                            suite_name, o.expectation, o.meta.get("rule"))
                return self.validate(suite_name, frame, parameters, history=history)
        if len(outcomes) != len(found):
            return self.validate(suite_name, frame, parameters, history=history)
        return outcomes

    def suite_items(self, name: str, history: bool | None = None) -> list[dict]:
        """The expectations (as in the suite's JSON) that `suite(name, history)` holds."""
        return [item for item in load_suite_dict(name)["expectations"]
                if history is None or needs_history(item) == history]

    def _forget_metrics(self) -> None:
        """GX keeps the metrics it resolved (row masks, unexpected values) on the datasource's execution engine
        until the next validation; nothing reads them back, so they are dropped at once, before the next part of
        a large file is read (bench/results.md). Private GX attributes:
        tests/unit/test_gate_internals.py fails if they go away."""
        engine = self._asset.datasource.get_execution_engine()
        engine._metric_cache.clear()
        engine.batch_manager.reset_batch_cache()
        engine.batch_manager.batch_data_cache.clear()

    @staticmethod
    def _outcome(r) -> Outcome:
        config = r.expectation_config
        res = r.result or {}
        error = None
        if r.exception_info and r.exception_info.get("raised_exception"):
            error = r.exception_info.get("exception_message")
        return Outcome(
            expectation=config.type,
            kwargs=dict(config.kwargs),
            meta=dict(config.meta or {}),
            success=bool(r.success),
            unexpected_count=int(res.get("unexpected_count") or 0),
            unexpected_index=list(res.get("unexpected_index_list") or []),
            observed_value=res.get("observed_value"),
            error=error,
        )

    def build_docs(self) -> Path | None:
        """Render this task's validation results as GX Data Docs under `docs_dir`; returns the index page."""
        if self.docs_dir is None or not self._results:
            return None
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        self.docs_dir.mkdir(parents=True, exist_ok=True)
        site = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        self.context.add_data_docs_site(site_name="reports", site_config=site)
        store = self.context.validation_results_store
        for n, result in enumerate(self._results):  # trimmed when they were stored
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
                run_id=f"{n:04d}",
                batch_identifier=f"batch{n}",
            )
            store.set(key, result)
        assets = None if self.assets_in is None else shared_assets(self.assets_in)
        token = _ASSETS_SHARED.set(assets is not None)
        try:
            self.context.build_data_docs(site_names=["reports"])
        finally:
            _ASSETS_SHARED.reset(token)
        localise_assets(self.docs_dir, assets)
        return self.docs_dir / "index.html"


def read_columns(items: list[dict], columns: pd.Index) -> list[str]:
    """The columns of `columns` that the expectations `items` read, in their order: every column a keyword
    argument names (column, column_A, column_B, column_list; any string argument equal to a column's name, which
    at worst keeps a column it need not) and every column whose name is in a row condition. A row expectation
    reads nothing else; what it was not given, GX reports as an error, which `validate_rows` answers by
    validating the whole frame."""
    named: set[str] = set()
    for item in items:
        for name, value in (item.get("kwargs") or {}).items():
            values = value if isinstance(value, list) else [value]
            named.update(v for v in values if isinstance(v, str) and v in columns)
            if name == "row_condition" and isinstance(value, str):
                named.update(c for c in columns if isinstance(c, str) and c in value)
    return [c for c in columns if c in named]


def _sample(rows: int, size: int) -> np.ndarray:
    """A mask of `size` rows spread evenly over `rows` (every row when there are fewer)."""
    picked = np.zeros(rows, dtype=bool)
    if rows:
        picked[np.unique(np.linspace(0, rows - 1, num=min(rows, max(size, 1))).astype(np.int64))] = True
    return picked


def _expectation_key(kind: str, meta: dict) -> tuple:
    return kind, tuple(sorted((k, str(v)) for k, v in (meta or {}).items()))


def _by_expectation(items: list[dict], masks: list[np.ndarray], index: pd.Index) -> dict[tuple, set]:
    """{expectation: the frame's index labels `fast_rules` found unexpected}; two expectations alike (same type
    and meta) would be told apart by nothing, so they are merged into a key no outcome matches."""
    found: dict[tuple, set] = {}
    for item, mask in zip(items, masks, strict=True):
        key = _expectation_key(item["type"], item["meta"])
        found[key] = {object()} if key in found else set(index[mask].tolist())
    return found


def _trim_for_docs(result) -> None:
    """Data Docs show a sample of failing values, HTML-escaped; the full lists, as written, already went to the
    warehouse."""
    for r in result.results:
        for k in ("unexpected_index_list", "unexpected_list", "unexpected_index_query"):
            if r.result and k in r.result:
                r.result[k] = r.result[k][:20] if isinstance(r.result[k], list) else r.result[k]
        escape_result(r)
