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
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)
ASSETS = Path(__file__).with_name("docs_assets")
VENDOR = Path("static") / "vendor"
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
_STATIC = re.compile(r"""(?<=["'(])(?:\.\./)*static/""")  # GX gets the depth wrong on some pages (favicon)
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


def localise_assets(docs_dir: Path) -> list[str]:
    """Serve the pages' CSS, JS, fonts and logo from `docs_dir`; return what still points outside (should be [])."""
    vendor = docs_dir / VENDOR
    shutil.copytree(ASSETS, vendor, dirs_exist_ok=True)
    images = docs_dir / "static" / "images"
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
