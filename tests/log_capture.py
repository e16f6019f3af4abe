"""Every log line the code under test writes, from any logger, and the forms a piece of text takes
in a log: for greps that personal data is never logged.

`all_logs()` lowers every logger to DEBUG for its duration (records a quieter setting would
never make are made too) and keeps each record twice: as each handler on its way would write
it (Powertools' JSON lines included, formatted even when the handler's own level is higher),
and with all of its attributes (extras, arguments, the exception's traceback). Loggers made
while it is open (the workspace makes its Powertools Logger per handler) are covered as well.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus


@contextmanager
def all_logs() -> Iterator[list[str]]:
    lines: list[str] = []
    enabled = logging.Logger.isEnabledFor
    call_handlers = logging.Logger.callHandlers

    def everything_enabled(self: logging.Logger, level: int) -> bool:
        return not self.disabled and level >= logging.DEBUG

    def keep_then_call(self: logging.Logger, record: logging.LogRecord) -> None:
        lines.append(_whole(record))
        logger: logging.Logger | None = self
        while logger is not None:
            lines.extend(handler.format(record) for handler in logger.handlers)
            logger = logger.parent if logger.propagate else None
        call_handlers(self, record)

    logging.Logger.isEnabledFor = everything_enabled  # type: ignore[method-assign]
    logging.Logger.callHandlers = keep_then_call  # type: ignore[method-assign]
    try:
        yield lines
    finally:
        logging.Logger.isEnabledFor = enabled  # type: ignore[method-assign]
        logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]


def _whole(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = f"{record.msg!r} % {record.args!r}"
    traceback = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
    attributes = json.dumps(record.__dict__, default=repr, ensure_ascii=False)
    return "\n".join((message, attributes, traceback))


def encodings(text: str) -> list[bytes]:
    """`text` as a log may hold it: UTF-8, JSON's \\u escapes, URL-encoded (a form body), and
    base64 at each of the three alignments (an event's body), so that a logged request cannot
    hide a name from a grep."""
    raw = text.encode("utf-8")
    forms = {
        raw,
        json.dumps(text).strip('"').encode("ascii"),
        quote(raw).encode("ascii"),
        quote_plus(raw).encode("ascii"),
    }
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        # Drop the characters that depend on the bytes before and after the text.
        start = -(-offset // 3) * 4
        end = (offset + len(raw)) // 3 * 4
        if end - start >= 8:
            forms.add(encoded[start:end])
    return sorted(forms)
