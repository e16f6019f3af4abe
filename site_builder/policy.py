"""How the built site is served, wherever it is served from: types, caching, CSP, what is hidden.

One policy for the three places that serve dist/: the pages carry the Content-Security-Policy
in a meta tag (site_builder.render); `manyi serve` sends these headers with each file
(manyi.serving.static); `manyi publish` stores the type and caching with each S3 object, which
the CDN passes on, and the CDN adds the security headers (infra/template.yaml).
Styles and scripts: the site's own files, and the inline screen style sheet and script loader,
by the hash of their text.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from site_builder.assets import load_assets

# A content hash in the name (assets/site.0a1b2c3d4e.css) means the bytes never change, so it is
# cached for a year; everything else only briefly, so a new questionnaire version (pages, its
# JSON, refreshed when a department is added under the same version) reaches phones in minutes.
CACHE_FOREVER = "public, max-age=31536000, immutable"
CACHE_BRIEFLY = "public, max-age=300"
HASHED_NAME = re.compile(r"\.[0-9a-f]{8,64}\.[A-Za-z0-9]+$")
CONTENT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
}
# Text that is not text/*: it gets a charset too (WeChat's browser guesses otherwise, and the
# site is served with nosniff).
TEXT_TYPES = frozenset(
    {"application/json", "image/svg+xml", "application/xml", "application/manifest+json"}
)


def content_security_policy(api_url: str) -> str:
    """Nothing but the site itself (and the collector, if it lives on another origin)."""
    api_origin = _origin(api_url)
    connect = "'self'" + (f" {api_origin}" if api_origin else "")
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' {load_assets().loader_js.csp_source}",
            f"style-src 'self' {load_assets().screen_css.csp_source}",
            # data: only for the empty favicon, so browsers do not ask for /favicon.ico.
            "img-src 'self' data:",
            f"connect-src {connect}",
            f"form-action {connect}",
            "base-uri 'none'",
        )
    )


def security_headers(path: str, api_url: str = "/api") -> dict[str, str]:
    """The headers to serve a file of `dist/` with, its Content-Type aside."""
    return {
        "Content-Security-Policy": content_security_policy(api_url) + "; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": cache_control(path),
    }


def file_headers(path: str, api_url: str = "/api") -> dict[str, str]:
    """Every header of the policy for a file of `dist/`, its Content-Type included."""
    return {"Content-Type": content_type(path), **security_headers(path, api_url)}


def cache_control(path: str) -> str:
    return CACHE_FOREVER if HASHED_NAME.search(path) else CACHE_BRIEFLY


def content_type(path: str) -> str:
    """By extension; a folder's URL (`d/sifaju/`) is its index page."""
    suffix = ".html" if path.endswith("/") else PurePosixPath(path).suffix.lower()
    kind = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in TEXT_TYPES:
        return f"{kind}; charset=utf-8"
    return kind


def is_served(path: str) -> bool:
    """False for the builder's own bookkeeping (`.manyi-site`) and any other dot-file."""
    return not any(part.startswith(".") for part in path.split("/"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
