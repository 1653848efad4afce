"""Sphinx extension: keep every page of the report loadable offline.

1. Drops duplicate ``<script>`` entries. sphinx-thebe 0.3.1 registers its inline configuration
   (``const THEBE_JS_URL = ...``) on every ``env-before-read-docs`` event, which Jupyter Book
   fires more than once, so pages carried the block twice and the browser raised
   "Identifier 'THEBE_JS_URL' has already been declared" on every page.
2. Warns (an error under ``-W``) when a page would load a script or stylesheet from the
   network, e.g. MathJax from a CDN for a page with math: the built book must work offline.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
REMOTE_PREFIXES = ("http://", "https://", "//")


def _asset_key(asset) -> tuple:
    """Identity of a script or stylesheet entry: its file name and its attributes."""
    # Inline scripts carry filename None when first registered but "" after the environment
    # is pickled, so both count as "no file".
    filename = getattr(asset, "filename", asset) or ""
    attributes = getattr(asset, "attributes", {}) or {}
    return (str(filename), tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def _guard_page_assets(app: Sphinx, pagename: str, templatename: str, context: dict,
                       doctree) -> None:
    for context_key in ("script_files", "css_files"):
        assets = context.get(context_key)
        if not assets:
            continue
        seen: set[tuple] = set()
        unique = []
        for asset in assets:
            key = _asset_key(asset)
            if key in seen:
                continue
            seen.add(key)
            unique.append(asset)
            filename = str(getattr(asset, "filename", asset) or "")
            if filename.startswith(REMOTE_PREFIXES):
                logger.warning(
                    "page %r would load %s from the network, so it breaks offline; remove what "
                    "needs it (math on the page loads MathJax from a CDN: write formulas as "
                    "text or code instead)", pagename, filename,
                    type="offline_guard", subtype="remote_asset",
                )
        context[context_key] = unique


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _guard_page_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
