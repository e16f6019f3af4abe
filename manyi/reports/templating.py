"""The one way staff-facing HTML is rendered: autoescaped Jinja with the figures' filters.

The office's HTML report and the workspace's pages share it, so a figure reads the same
(12.3%, 1,234, — for none) wherever it is shown.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from manyi.reports.tables import percent


def figures_environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = percent
    env.filters["index"] = lambda v: "—" if v is None else f"{v:.1f}"
    env.filters["count"] = lambda v: "—" if v is None else f"{v:,}"
    return env
