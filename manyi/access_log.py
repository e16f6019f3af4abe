"""One line per HTTP request, in logfmt: readable by a person, parsed by any log tool.

    request method=POST path=/api/submissions status=201 bytes=93 ms=4.2 id=Xk3m9QpL-1f

What a line holds is all it may hold: the method, the path without its query string, the
status, the body's size, the time taken and the request's ID (the correlation ID the collector
logs its own problems with). Never an answer, an address, a user agent, a cookie or a query
string (the office's pages take a token there). Lines go to standard output; under systemd the
journal stamps, keeps and rotates them.
"""

from __future__ import annotations

import sys
from typing import TextIO

# A path longer than this is cut: a log line stays a line.
MAX_PATH = 200
# Characters that force a logfmt value into quotes.
QUOTE_IF = frozenset(' "=\\')


def line(method: str, path: str, status: int, size: int, seconds: float, request_id: str) -> str:
    return (
        f"request method={_value(method[:16])} path={_value(path[:MAX_PATH])} status={status} "
        f"bytes={size} ms={seconds * 1000:.1f} id={_value(request_id)}"
    )


def write(text: str, out: TextIO | None = None) -> None:
    """One line to standard output (one write: lines from many threads do not interleave)."""
    stream = out if out is not None else sys.stdout
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass  # a closed or full log must not fail the request it describes


def _value(text: str) -> str:
    if text and text.isprintable() and not QUOTE_IF & set(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else _escape(c) for c in escaped)
    return f'"{escaped}"'


def _escape(character: str) -> str:
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
