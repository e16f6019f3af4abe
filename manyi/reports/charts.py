"""Inline SVG charts for the report: a question's distribution, a ranking, a trend over months.

Plain SVG markup, no script and nothing fetched; every text is escaped here, and each chart
carries a <title> for screen readers (the report prints the same figures in tables too).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from manyi.figures import QuestionFigures, RankedDepartment
from manyi.reports.tables import percent

COLOURS = {"favourable": "#2e7d32", "unfavourable": "#c62828", "neutral": "#8d8d8d"}
TARGET_COLOUR = "#1565c0"
WIDTH = 640
LABEL_WIDTH = 230
BAR_HEIGHT = 22


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


def _bar_rows(rows: Sequence[tuple[str, float, str, str]], scale: float) -> tuple[str, int]:
    """(label, value, value text, colour) rows as horizontal bars; scale = value at full width."""
    span = WIDTH - LABEL_WIDTH - 110
    parts = []
    for i, (label, value, value_text, colour) in enumerate(rows):
        y = 8 + i * (BAR_HEIGHT + 6)
        length = 0.0 if scale <= 0 else max(0.0, min(value / scale, 1.0)) * span
        parts.append(_text(LABEL_WIDTH - 8, y + 16, label, anchor="end", css="label"))
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"/>'
        )
        parts.append(_text(LABEL_WIDTH + length + 6, y + 16, value_text, css="value"))
    return "".join(parts), 16 + len(rows) * (BAR_HEIGHT + 6)


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def distribution(question: QuestionFigures) -> Markup:
    """How the respondents who answered a question spread over its options (share of each)."""
    rows = [
        (_short(o.text), o.share or 0.0, f"{o.count}（{percent(o.share)}）", COLOURS[o.valence])
        for o in question.options
    ]
    body, height = _bar_rows(rows, 1.0)
    return _svg(height, f"{question.label}各选项人数及占比（答题 {question.answered} 人）", body)


def ranking(
    ranked: Sequence[RankedDepartment],
    title: str,
    *,
    scale: float,
    as_percent: bool,
    target: float | None = None,
) -> Markup:
    """Departments as bars, best first; a dashed line marks the target when there is one."""
    rows = []
    for r in ranked:
        value = r.value
        shown = "无数据" if value is None else percent(value) if as_percent else f"{value:.1f}"
        prefix = "" if r.rank is None else f"{r.rank}. "
        colour = "#8d8d8d" if value is None or r.small_sample else "#3f6fb5"
        if r.small_sample:
            shown += "（样本不足，不排名）"
        if target is not None and value is not None and value < target:
            colour = COLOURS["unfavourable"]
        rows.append((prefix + _short(r.figures.department.name, 14), value or 0.0, shown, colour))
    body, height = _bar_rows(rows, scale)
    if target is not None and scale > 0:
        x = LABEL_WIDTH + min(target / scale, 1.0) * (WIDTH - LABEL_WIDTH - 110)
        body += (
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 8}" stroke="{TARGET_COLOUR}" '
            f'stroke-dasharray="4 3" stroke-width="1.5"/>'
            + _text(x, height - 1, f"目标 {percent(target, 0)}", anchor="middle", css="target")
        )
    return _svg(height, title, body)


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
