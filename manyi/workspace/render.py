"""The workspace's pages from Jinja2 templates: autoescaped, StrictUndefined, Chinese.

Templates live beside this module (`templates/`, package data), the one stylesheet in
`static/`; its URL carries a hash of its content, so it can be cached for good.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from manyi.calendar import DEFAULT_ZONE
from manyi.reports.templating import figures_environment

HERE = Path(__file__).resolve().parent
ROLE_TEXT = {"office": "办公室", "viewer": "查看", "department": "部门"}
STATUS_TEXT = {"open": "统计中（未关账）", "closed": "已关账"}


@cache
def environment() -> Environment:
    env = figures_environment(HERE / "templates")
    env.filters["beijing"] = beijing_time
    env.globals["ROLE_TEXT"] = ROLE_TEXT
    env.globals["STATUS_TEXT"] = STATUS_TEXT
    return env


def beijing_time(value: datetime | str | None) -> str:
    """A moment as the office reads it: Beijing time, to the minute."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(DEFAULT_ZONE).strftime("%Y-%m-%d %H:%M")


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)


@cache
def stylesheet() -> tuple[str, bytes]:
    """(file name with the content's hash, content) of the workspace's stylesheet."""
    data = (HERE / "static" / "workspace.css").read_bytes()
    return f"workspace.{hashlib.sha256(data).hexdigest()[:10]}.css", data


@cache
def script() -> tuple[str, bytes]:
    """(file name with the content's hash, content) of the keying page's script."""
    data = (HERE / "static" / "entry.js").read_bytes()
    return f"entry.{hashlib.sha256(data).hexdigest()[:10]}.js", data
