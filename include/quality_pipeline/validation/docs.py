"""Make Great Expectations' Data Docs safe to open and whole without internet.

GX writes the values it shows (unexpected values, their counts, the rows' index columns, exception
messages) into the HTML as they are: its Jinja templates are not autoescaped and its renderers put strings
in table cells unchanged. A cell such as `<img src=x onerror=…>` delivered by an office would run in the
browser of whoever opens the page. `escape_for_docs` HTML-escapes every string of a result before GX
renders it; what the pipeline stores in the warehouse was taken from the result before, unescaped.

GX's templates also load jQuery, Bootstrap, bootstrap-table, vega, Font Awesome and its logo from public
CDNs. `localise_assets` copies the same files (vendored from npm, see docs_assets/LICENSES.md) into
`<docs>/static/vendor/` and rewrites every page to load them from there, and the logo from GX's own
`static/images/` (every `static/` path made right for the page's depth, which GX gets wrong for the favicon
of some pages); anything external that remains is logged, so a GX upgrade that adds a CDN shows up.

Those files are 6 MB (GX's fonts, images and styles, and the vendored ones). A site of its own carries them in
its `static/` folder; the pipeline's sites (a few per file and run) share one copy instead, `shared_assets`
in the reports folder, written once for each version of GX and of the vendored files.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)
ASSETS = Path(__file__).with_name("docs_assets")
SHARED_ASSETS = "data-docs-assets"  # in the reports folder, beside `validation/`
STAMP = "ASSETS-VERSION"
CDN_FILES = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
}
_GX_IMAGES = re.compile(r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/([\w.-]+)(\?[^\"')\s]*)?")
_STATIC = re.compile(r"""(?<=["'(])(?:\.\.?/)*static/""")  # GX gets the depth wrong on some pages (favicon)
_SRI = re.compile(r'\s(?:integrity="[^"]*"|crossorigin="[^"]*")')  # a file:// page cannot make the CORS check
# What a browser fetches by itself: src/href of script, link and img, and url(...) in CSS. Links (<a href>)
# are only followed when clicked and are left alone.
_EXTERNAL = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*?\s(?:src|href)=[\"']?(https?:)?//[^\"'\s>]+"
                       r"|url\(\s*[\"']?(?:https?:)?//[^)]+\)", re.I)


def escape_for_docs(value):
    """`value` with every string (and dict key) HTML-escaped, containers rebuilt, anything else as it is."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {escape_for_docs(k): escape_for_docs(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(escape_for_docs(v) for v in value)
    return value


def escape_result(expectation_result) -> None:
    """Escape, in place, what GX will show of one expectation's result: its values and its exception."""
    if expectation_result.result:
        expectation_result.result = escape_for_docs(dict(expectation_result.result))
    if expectation_result.exception_info:
        expectation_result.exception_info = escape_for_docs(dict(expectation_result.exception_info))


def shared_assets(reports_dir: Path) -> Path:
    """`<reports_dir>/data-docs-assets`, holding GX's static files and the vendored ones (`vendor/`), as the
    pages of every site `localise_assets(…, assets=…)` rewrote expect them. Written when missing or when its
    stamp (a hash of GX's version and of every source file) differs, into a temporary folder renamed into place:
    a page never finds the folder half-written, and a crash leaves only a temporary folder, removed by a later
    write once it is an hour old. Two processes writing at once both succeed; one copy stays."""
    target = reports_dir / SHARED_ASSETS
    stamp = _assets_stamp()
    if _stamp_of(target) == stamp:
        return target
    reports_dir.mkdir(parents=True, exist_ok=True)
    for left in reports_dir.glob(f".{SHARED_ASSETS}-*"):  # a crashed writer's; an hour is far above a copy's time
        with contextlib.suppress(FileNotFoundError):  # another writer may remove its own meanwhile
            if time.time() - left.stat().st_mtime > 3600:
                shutil.rmtree(left, ignore_errors=True)
    new = Path(tempfile.mkdtemp(prefix=f".{SHARED_ASSETS}-", dir=reports_dir))
    old = reports_dir / f"{new.name}-old"
    try:
        shutil.copytree(_gx_static(), new, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".DS_Store", "__pycache__"))
        shutil.copytree(ASSETS, new / "vendor")
        (new / STAMP).write_text(stamp, encoding="utf-8")
        new.chmod(0o755)  # mkdtemp's 0700 would hide the files from a web server's user
        with contextlib.suppress(FileNotFoundError):
            target.rename(old)
        try:
            new.rename(target)
        except OSError:  # another process renamed its copy into place meanwhile
            if _stamp_of(target) != stamp:
                raise
    finally:
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return target


def _stamp_of(folder: Path) -> str | None:
    try:
        return (folder / STAMP).read_text(encoding="utf-8")
    except OSError:
        return None


def _gx_static() -> Path:
    """GX's own static files: what its `HtmlSiteStore.copy_static_assets` copies into each site."""
    import great_expectations

    return Path(great_expectations.__file__).parent / "render" / "view" / "static"


@functools.cache
def _assets_stamp() -> str:
    import great_expectations

    digest = hashlib.sha256(f"great_expectations {great_expectations.__version__}".encode())
    for root in (_gx_static(), ASSETS):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def localise_assets(docs_dir: Path, assets: Path | None = None) -> list[str]:
    """Serve the pages' CSS, JS, fonts and logo from local files; return what still points outside (should be []).

    `assets` is a folder `shared_assets` wrote (GX did not copy its static files into this site); without it the
    site is self-contained: GX copied its files into `<docs_dir>/static` and the vendored ones go beside them."""
    if assets is None:
        assets = docs_dir / "static"
        shutil.copytree(ASSETS, assets / "vendor", dirs_exist_ok=True)
    vendor, images = assets / "vendor", assets / "images"
    remaining = []
    for page in docs_dir.rglob("*.html"):
        text = _localised(page.read_text(encoding="utf-8"), page.parent, vendor, images)
        page.write_text(text, encoding="utf-8")
        remaining += [f"{page.relative_to(docs_dir)}: {m.group(0)[:120]}" for m in _EXTERNAL.finditer(text)]
    for line in remaining:
        log.warning("Data Docs still load from outside: %s", line)
    return remaining


def _localised(text: str, here: Path, vendor: Path, images: Path) -> str:
    for url, local in CDN_FILES.items():
        text = text.replace(f'"{url}"', f'"{_relative(vendor / local, here)}"')

    def image(match: re.Match) -> str:
        name = match.group(1)
        local = images / name if (images / name).is_file() else images / "logo-long.png"
        return _relative(local, here)

    text = _GX_IMAGES.sub(image, text)
    static = _relative(vendor.parent, here) + "/"
    text = _STATIC.sub(lambda _: static, text)
    return _SRI.sub("", text)


def _relative(target: Path, here: Path) -> str:
    return Path(os.path.relpath(target, here)).as_posix()
