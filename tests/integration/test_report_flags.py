"""Figures that deserve doubt: a served count changed after the 20th is flagged in the view."""

from __future__ import annotations

from manyi.model import Questionnaire
from manyi.reports.tables import summary_columns, summary_rows
from manyi.reports.view import month_view
from manyi.store.results.sqlite import SqliteResultsStore

MONTH = "2026-11"


def test_a_served_count_changed_after_the_20th_is_flagged_and_an_unchanged_one_is_not(
    questionnaire: Questionnaire,
) -> None:
    store = SqliteResultsStore(":memory:")
    # 20 November 23:00 Beijing is still the 20th; 21 November 00:30 Beijing is after it.
    store.set_served({(MONTH, "sifaju"): 40, (MONTH, "gonganju"): 50}, at="2026-11-20T15:00:00Z")
    store.set_served({(MONTH, "gonganju"): 50}, at="2026-11-22T02:00:00Z")  # the same count
    store.set_served({(MONTH, "sifaju"): 30}, at="2026-11-20T16:30:00Z")
    assert store.served_changes(MONTH) == {
        "gonganju": "2026-11-20T15:00:00Z",
        "sifaju": "2026-11-20T16:30:00Z",
    }
    view = month_view(questionnaire, store, MONTH)
    figures = {d.department.id: d for d in view.city.departments}
    assert "served_changed_late" in figures["sifaju"].flags
    assert "served_changed_late" not in figures["gonganju"].flags
    column = summary_columns(questionnaire).index("存疑说明")
    rows = {row[0]: row for row in summary_rows(questionnaire, view)}
    assert "服务对象数在20日后改动" in str(rows["sifaju"][column])
    assert "样本不足（少于30份，不排名）" in str(rows["sifaju"][column])
