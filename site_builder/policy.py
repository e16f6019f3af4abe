"""What the site asks of browsers and caches: its Content-Security-Policy and cache lifetimes.

The pages carry the policy in a meta tag; whoever serves `dist/` (manyi serve, the CDN) can send
the same as headers with `security_headers`, adding what a meta tag cannot say (frame-ancestors).
Styles: the site's own files, and the one inline screen style sheet, by the hash of its text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from site_builder.assets import load_assets

# Hashed names never change content, so they are cached for a year; pages only briefly, so a
# new questionnaire version reaches phones within minutes.
CACHE_FOREVER = "public, max-age=31536000, immutable"
CACHE_BRIEFLY = "public, max-age=300"


def content_security_policy(api_url: str) -> str:
    """Nothing but the site itself (and the collector, if it lives on another origin)."""
    api_origin = _origin(api_url)
    connect = "'self'" + (f" {api_origin}" if api_origin else "")
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' {load_assets().screen_css.csp_source}",
            # data: only for the empty favicon, so browsers do not ask for /favicon.ico.
            "img-src 'self' data:",
            f"connect-src {connect}",
            f"form-action {connect}",
            "base-uri 'none'",
        )
    )


def security_headers(path: str, api_url: str = "/api") -> dict[str, str]:
    """The headers to serve a file of `dist/` with."""
    return {
        "Content-Security-Policy": content_security_policy(api_url) + "; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": cache_control(path),
    }


def cache_control(path: str) -> str:
    return CACHE_FOREVER if path.lstrip("/").startswith("assets/") else CACHE_BRIEFLY


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
