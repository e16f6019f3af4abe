"""A month's results as CSV: the summary table and every count in long form.

UTF-8 with a BOM, so that a spreadsheet opened on a Chinese Windows reads it right; every text
cell passes through `safe_cell`, numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from manyi.model import Questionnaire
from manyi.reports.tables import (
    OPTION_COLUMNS,
    Cell,
    option_rows,
    safe_cell,
    summary_columns,
    summary_rows,
)
from manyi.reports.view import MonthView


def to_csv(rows: Iterable[Sequence[Cell]], columns: Sequence[str]) -> str:
    """CSV with a BOM, so that a spreadsheet opened on a Chinese Windows reads UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow(["" if c is None else safe_cell(c) for c in row])
    return out.getvalue()


def summary_csv(
    questionnaire: Questionnaire, view: MonthView, department: str | None = None
) -> str:
    return to_csv(summary_rows(questionnaire, view, department), summary_columns(questionnaire))


def options_csv(view: MonthView, department: str | None = None) -> str:
    return to_csv(option_rows(view, department), OPTION_COLUMNS)
