"""Inline SVG charts for the report: a trend over months (rankings and rates are tables).

Plain SVG markup, no script and nothing fetched; every text is escaped here, and each chart
carries a <title> for screen readers (the report prints the same figures in tables too).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from manyi.reports.tables import percent

TARGET_COLOUR = "#1565c0"
WIDTH = 640


def _svg(height: int, title: str, body: str, width: int = WIDTH) -> Markup:
    # Safe: every text in `body` went through `_text` (escaped), the rest is numbers.
    return Markup(  # noqa: S704
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{escape(text)}</text>'
    )


def trend(
    points: Sequence[tuple[str, float | None]],
    title: str,
    *,
    scale: float,
    as_percent: bool,
    target: float | None = None,
) -> Markup:
    """A line over months; a month without data breaks the line instead of reading as zero."""
    height, top, bottom, left, right = 220, 20, 180, 50, WIDTH - 40
    step = (right - left) / max(len(points) - 1, 1)

    def y_of(value: float) -> float:
        return bottom - max(0.0, min(value / scale, 1.0)) * (bottom - top)

    parts = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#555"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#555"/>',
        _text(left - 6, top + 4, percent(scale, 0) if as_percent else f"{scale:g}", anchor="end"),
        _text(left - 6, bottom + 4, "0", anchor="end"),
    ]
    if target is not None:
        y = y_of(target)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke="{TARGET_COLOUR}" stroke-dasharray="4 3"/>'
        )
    segment: list[str] = []
    for i, (month, value) in enumerate(points):
        x = left + i * step
        parts.append(_text(x, bottom + 18, month, anchor="middle", css="month"))
        if value is None:
            if len(segment) > 1:
                parts.append(_polyline(segment))
            segment = []
            continue
        segment.append(f"{x:.1f},{y_of(value):.1f}")
        shown = percent(value) if as_percent else f"{value:.1f}"
        parts.append(f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="4" fill="#3f6fb5"/>')
        parts.append(_text(x, y_of(value) - 8, shown, anchor="middle", css="value"))
    if len(segment) > 1:
        parts.append(_polyline(segment))
    return _svg(height, title, "".join(parts))


def _polyline(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="#3f6fb5" stroke-width="2"/>'
