"""The workspace on a real local server for Chromium: `manyi serve`'s server in a thread, with
the workspace mounted at /workspace/; the origin to open."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from manyi.serving.lambda_app import LambdaApp
from manyi.serving.server import Mounts, create, listening_on
from manyi.serving.static import StaticSite
from manyi.workspace.context import Workspace
from manyi.workspace.handler import create_handler


@contextmanager
def workspace_origin(ws: Workspace) -> Iterator[str]:
    mounts = Mounts(StaticSite(None))
    mounts.mount("/workspace/", LambdaApp(create_handler(ws)))
    server = create(mounts, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listening_on(server)[0][1]}"
    finally:
        server.close()
        thread.join(timeout=10)
