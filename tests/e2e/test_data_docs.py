"""Great Expectations Data Docs in headless Chromium: injected cell values stay text, nothing loads from outside."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from quality_pipeline.loading.ingest import ingest_feed
from quality_pipeline.validation.docs import CDN_FILES
from tests.support.extracts import sampling_row, write_sampling_csv

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--virtual-time-budget=5000",
         '--host-resolver-rules=MAP * ~NOTFOUND']  # offline, as on the district's office network
PAYLOADS = [
    "<img src=x onerror=document.documentElement.setAttribute('data-xss','img')>",
    '<script>document.documentElement.setAttribute("data-xss","script")</script>',
]
RAN = re.compile(r"<html[^>]*\bdata-xss=")


@pytest.fixture
def docs(quality_env) -> Path:
    return _documented(quality_env, shared=True)


def _documented(quality_env, *, shared: bool) -> Path:
    """Data Docs of a load in which two rows carry script in a cell that fails validation: a site that uses the
    reports folder's shared static files (`shared`, as the pipeline's do) or carries its own."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make browser` (make test does)")
    from quality_pipeline.validation.gate import Gate

    rows = [sampling_row(i) for i in range(20)] + [sampling_row(90 + n, day=p) for n, p in enumerate(PAYLOADS)]
    write_sampling_csv(quality_env.landing_dir / "product_sampling" / "a.csv", rows)
    gate = Gate(docs_dir=quality_env.reports_dir / "validation" / "run1",
                assets_in=quality_env.reports_dir if shared else None)
    [result] = ingest_feed("product_sampling", run_id="run1", settings=quality_env, gate=gate)
    assert result.rows_rejected == len(PAYLOADS)
    gate.build_docs()
    return gate.docs_dir


def _open(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """(the DOM after scripts ran, the http(s) URLs the page itself asked for) — from Chromium's net log,
    where the page's own requests carry a file:// isolation key and Chromium's housekeeping does not."""
    n = len(list(tmp_path.glob("netlog-*")))
    netlog = tmp_path / f"netlog-{n}.json"
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / f'profile-{n}'}",
                           f"--log-net-log={netlog}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    events = json.loads(netlog.read_text())["events"]
    asked = {e["params"]["url"] for e in events
             if "file://" in str(e.get("params", {}).get("network_isolation_key", ""))
             and str(e["params"].get("url", "")).startswith(("http:", "https:", "ws:", "wss:"))}
    return done.stdout, sorted(asked)


def _pages(docs: Path) -> list[Path]:
    pages = sorted(docs.rglob("*.html"))
    assert docs / "index.html" in pages and any("validations" in p.parts for p in pages)
    return pages


def test_a_script_in_a_rejected_cell_does_not_run(docs, tmp_path):
    shown = [p for p in _pages(docs) if "onerror" in p.read_text(encoding="utf-8")]
    assert shown  # the values are on the page, as text
    for page in shown:
        dom, _ = _open(page, tmp_path)
        assert not RAN.search(dom), page

    control = tmp_path / "raw.html"  # the check itself: the same values written raw do run
    control.write_text(f"<html><body>{''.join(PAYLOADS)}</body></html>", encoding="utf-8")
    assert RAN.search(_open(control, tmp_path)[0])


@pytest.mark.parametrize("shared", [True, False], ids=["shared static files", "own static files"])
def test_the_pages_load_nothing_from_the_network(quality_env, tmp_path, shared):
    docs = _documented(quality_env, shared=shared)
    for page in _pages(docs):
        text = page.read_text(encoding="utf-8")
        assert not [url for url in CDN_FILES if url in text], page
        for local in re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"#?]+)"', text):
            assert (page.parent / local).is_file(), (page, local)
        _, asked = _open(page, tmp_path)
        assert asked == [], (page, asked)

    control = tmp_path / "cdn.html"  # the check itself: a page that does load from a CDN is caught
    control.write_text(f'<html><head><script src="{next(iter(CDN_FILES))}"></script></head></html>')
    assert _open(control, tmp_path)[1] == [next(iter(CDN_FILES))]
