"""`manyi serve`'s server: apps mounted by path prefix beside the built site, on waitress.

Why waitress: a production WSGI server in pure Python (it runs wherever Python does, Windows
included) whose event loop reads each request whole before a worker thread runs the app. A
slow or half-sent request holds a connection until the idle timeout, never a thread; a body
the app does not want (a GET's) is read and dropped, never taken for the next request; and
the limits below are checked before a byte of the body is read.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

from manyi import access_log
from manyi.proxy import Network, client_address, is_trusted
from manyi.serving.lambda_app import MAX_BODY_BYTES, REQUEST_ID_KEY, next_request_id
from manyi.serving.wsgi import App, Environ, StartResponse, plain, request_headers, request_target

# A connection idle this long is closed, a half-sent request included.
IDLE_TIMEOUT_SECONDS = 30
# Connections open at once (waitress counts its own two sockets); more wait in the listen queue.
MAX_CONNECTIONS = 500
# Requests in flight at once. The collector runs one at a time under its lock, then each waits
# for its SQLite commit, where one fsync serves everyone waiting. More threads mostly contend
# for the lock (measured: 32 cost ~15% more CPU per submission than 8).
THREADS = 8
MAX_HEADER_BYTES = 16 * 1024
BUSY = "服务暂时不可用，请稍后再试。"

log = logging.getLogger("manyi.serve")
# What a reverse proxy says about the client; read from a trusted proxy only, then dropped.
PROXY_HEADERS = (
    "HTTP_X_REAL_IP",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)


class Mounts:
    """Apps by path prefix (the collector at /api/, the office's pages at /results/); every
    other path is the site's."""

    def __init__(self, site: App) -> None:
        self.site = site
        self.apps: list[tuple[str, App]] = []

    def mount(self, prefix: str, app: App) -> None:
        """`prefix` like "/workspace/": it, its paths and "/workspace" go to `app`."""
        if not (prefix.startswith("/") and prefix.endswith("/")) or prefix == "/":
            raise ValueError(f"a mount is a folder path like /api/, not {prefix!r}")
        self.apps.append((prefix, app))
        # The longest prefix wins, so /api/admin/ could be mounted inside /api/.
        self.apps.sort(key=lambda item: len(item[0]), reverse=True)

    def app_for(self, path: str) -> App:
        for prefix, app in self.apps:
            if path.startswith(prefix) or path == prefix[:-1]:
                return app
        return self.site

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        app = self.app_for(str(environ.get("PATH_INFO") or "/"))
        try:
            return app(environ, start_response)
        except Exception:
            # Our bug, not the client's: logged here, and the client may retry (as the
            # collector answers what it did not expect). The error replaces unsent headers.
            log.exception("unexpected error; answered 503")
            error = sys.exc_info()

            def restart(status: str, headers: list[tuple[str, str]], _: Any = None) -> Any:
                return start_response(status, headers, error)

            return plain(environ, restart, 503, BUSY, [("Retry-After", "5")])


class Front:
    """What every request passes first: the client's address behind a trusted proxy, a request
    ID, and one access-log line once it is answered."""

    def __init__(self, app: App, trusted_proxies: tuple[Network, ...] = ()) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        self._believe_the_proxy(environ)
        request_id = next_request_id()
        environ[REQUEST_ID_KEY] = request_id
        status = [0]

        def recording(status_line: str, headers: list[tuple[str, str]], *info: Any) -> Any:
            status[0] = int(status_line[:3])
            return start_response(status_line, headers, *info)

        body = list(self.app(environ, recording))
        path, _ = request_target(environ)
        access_log.write(
            access_log.line(
                str(environ.get("REQUEST_METHOD") or ""),
                path,
                status[0],
                sum(len(chunk) for chunk in body),
                time.perf_counter() - started,
                request_id,
            )
        )
        return body

    def _believe_the_proxy(self, environ: Environ) -> None:
        """Take the client's address and scheme from a trusted proxy's headers; from anyone
        else those headers are dropped, so no app behind can be fooled by them."""
        peer = str(environ.get("REMOTE_ADDR") or "")
        # Most servers trust no proxy: then no address needs parsing on every request.
        if self.trusted_proxies and is_trusted(peer, self.trusted_proxies):
            headers = request_headers(environ)
            environ["REMOTE_ADDR"] = client_address(peer, headers, self.trusted_proxies)
            if headers.get("x-forwarded-proto") == "https":
                environ["wsgi.url_scheme"] = "https"
        for key in PROXY_HEADERS:
            environ.pop(key, None)


def create(
    app: App,
    host: str,
    port: int,
    *,
    trusted_proxies: tuple[Network, ...] = (),
    idle_timeout: int = IDLE_TIMEOUT_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
) -> Any:
    """A waitress server listening on host:port (port 0: any free one); OSError if it cannot.

    Behind a reverse proxy that ends TLS, name its addresses: its X-Real-IP, X-Forwarded-For
    and X-Forwarded-Proto are then believed (the client's address, https), nobody else's."""
    from waitress.server import create_server

    # Under load waitress notes every queued task; the answers say enough.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_server(
        Front(app, trusted_proxies),
        # Front decides whose forwarded headers to believe (waitress would drop them first).
        clear_untrusted_proxy_headers=False,
        host=host,
        port=port,
        threads=THREADS,
        connection_limit=max_connections,
        channel_timeout=idle_timeout,
        # Idle connections are looked for this often (waitress's default: every 30 s).
        cleanup_interval=max(1, idle_timeout // 5),
        max_request_header_size=MAX_HEADER_BYTES,
        max_request_body_size=MAX_BODY_BYTES,
        asyncore_use_poll=True,  # select() stops at 1,024 descriptors
        ident="manyi",
        expose_tracebacks=False,
    )


def listening_on(server: Any) -> list[tuple[str, int]]:
    """(host, port) of each socket the server listens on (a name may give two: IPv4 and 6)."""
    if hasattr(server, "effective_listen"):
        return [(str(host), int(port)) for host, port in server.effective_listen]
    return [(str(server.effective_host), int(server.effective_port))]


def serve_forever(server: Any) -> None:
    """Until Ctrl-C or SIGTERM; then the sockets are closed and the caller cleans up."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():  # signals go to it only
        signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
