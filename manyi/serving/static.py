"""The built site's files as a WSGI app, with the headers of the site's one policy.

Types, caching and security headers come from `site_builder.policy`, as `manyi publish` stores
them for the CDN; dot-files (the builder's `.manyi-site`) are not served. A folder's URL
without its slash is redirected to it; a path no file answers is a 404, with the site's own
404.html if it has one, whatever bytes the path holds.

Text is sent gzipped to a browser that takes it, as the CDN does (`Compress: true`): on a
phone's slow link the form page then arrives in the first round trip. Each file is compressed
once and kept while it is unchanged; its gzipped form has an ETag of its own.
"""

from __future__ import annotations

import email.utils
import gzip
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from manyi.serving.wsgi import Environ, StartResponse, plain, request_target, respond
from site_builder.policy import file_headers, is_served

# Longer URL paths are no file of the site (and some file systems would refuse the name).
MAX_PATH_CHARACTERS = 1024
# Below this size gzip's own header and a round trip's worth of bytes win nothing.
MIN_GZIP_BYTES = 512
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


class StaticSite:
    def __init__(self, root: Path | None) -> None:
        """`root` is the built site (dist/), or None if there is none yet."""
        self.root = root.resolve() if root is not None else None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD"):
            allow = [("Allow", "GET, HEAD")]
            return plain(environ, start_response, 405, "不支持这种请求方式。", allow)
        path, query = request_target(environ)
        found, redirect = self.find(path)
        if redirect is not None:
            location = redirect + (f"?{query}" if query else "")
            return respond(environ, start_response, 301, [("Location", location)], b"")
        if found is None:
            return self._not_found(environ, start_response)
        headers = self.headers_of(found)
        body = found.read_bytes()
        if headers["Content-Type"].startswith(COMPRESSIBLE) and len(body) >= MIN_GZIP_BYTES:
            headers["Vary"] = "Accept-Encoding"
            if accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
                body = _gzipped(body)
                headers["Content-Encoding"] = "gzip"
                headers["ETag"] = headers["ETag"][:-1] + '-gz"'
        if environ.get("HTTP_IF_NONE_MATCH") == headers["ETag"]:
            start_response("304 Not Modified", list(headers.items()))
            return [b""]
        return respond(environ, start_response, 200, list(headers.items()), body)

    def find(self, url_path: str) -> tuple[Path | None, str | None]:
        """The file of a URL path, or (None, a redirect target), or (None, None) if none."""
        if self.root is None:
            return None, None
        try:
            relative = unquote(url_path, errors="strict").lstrip("/")
            if (
                len(relative) > MAX_PATH_CHARACTERS
                or not relative.isprintable()
                or not is_served(relative)
            ):
                return None, None
            candidate = (self.root / relative).resolve()
            if candidate != self.root and self.root not in candidate.parents:
                return None, None
            if candidate.is_dir():
                if not url_path.endswith("/"):
                    return None, url_path + "/"
                candidate = candidate / "index.html"
            return (candidate, None) if candidate.is_file() else (None, None)
        except (OSError, ValueError):  # not UTF-8, or a name too long for the file system
            return None, None

    def headers_of(self, path: Path) -> dict[str, str]:
        assert self.root is not None
        stat = path.stat()
        return {
            **file_headers("/" + path.relative_to(self.root).as_posix()),
            "ETag": f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        }

    def _not_found(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        page = self.root / "404.html" if self.root is not None else None
        if page is not None and page.is_file():
            headers = {**self.headers_of(page), "Cache-Control": "no-cache"}
            return respond(environ, start_response, 404, list(headers.items()), page.read_bytes())
        hint = "" if self.root is not None else "（尚未构建网站：请先运行 manyi build）"
        return plain(environ, start_response, 404, f"没有这个网址。{hint}")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (`gzip;q=0` refuses it, `*` takes it)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        name, _, parameters = item.strip().partition(";")
        weight = 1.0
        key, _, value = parameters.strip().partition("=")
        if key.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        weights[name.strip()] = weight
    return weights.get("gzip", weights.get("*", 0.0)) > 0


@lru_cache(maxsize=512)
def _gzipped(body: bytes) -> bytes:
    # Keyed by the bytes themselves: a rebuilt file is compressed again, an unchanged one never.
    # mtime=0: the same bytes give the same gzip, whatever the hour.
    return gzip.compress(body, compresslevel=6, mtime=0)
