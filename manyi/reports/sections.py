"""The parts of the monthly report that other features fill: follow-up visits, complaints.

A feature gives the report a `SectionProvider`: called with the month (and a department, for a
department's own report), it returns the section to print, or None when it has nothing for
that month, and then the report has no such section at all (absent, not empty). The report
places sections by slot, in `SLOTS` order, after its own; a slot without a provider is absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Cell = str | int | float | None

# Where a provided section goes: 回访 (issue 15), then 投诉举报 (issue 16).
Slot = Literal["followup", "complaints"]
SLOTS: tuple[Slot, ...] = ("followup", "complaints")


@dataclass(frozen=True)
class ReportTable:
    caption: str  # 表N is prefixed by the report: 各部门问题发生率
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    notes: Sequence[str] = ()  # printed under the table: what a mark means, the source
    # Columns widths as shares of the page width (the first column is the row's name).
    widths: Sequence[float] = ()
    landscape: bool = False  # too many columns for a portrait page
    # Rows printed in grey with a mark: small samples.
    muted_rows: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ReportSection:
    title: str  # without its number: 回访情况 (the report numbers it 四、)
    paragraphs: Sequence[str] = ()
    tables: Sequence[ReportTable] = ()
    # Sub-sections: (title, paragraphs), numbered （一）（二）.
    parts: Sequence[tuple[str, Sequence[str]]] = field(default_factory=tuple)


# month, department (None: the city) → the section, or None when there is nothing to report.
SectionProvider = Callable[[str, str | None], ReportSection | None]
SectionProviders = Mapping[Slot, SectionProvider]


def provided_sections(
    providers: SectionProviders, month: str, department: str | None
) -> list[ReportSection]:
    """The sections the providers have for the month, in slot order; absent ones left out."""
    out = []
    for slot in SLOTS:
        provider = providers.get(slot)
        section = None if provider is None else provider(month, department)
        if section is not None:
            out.append(section)
    return out
