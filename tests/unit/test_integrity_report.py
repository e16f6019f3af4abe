"""The city report's section on integrity flags: there when a department was flagged or told of
pressure, absent otherwise, and never in a department's own report."""

from __future__ import annotations

from datetime import date

from manyi.aggregate import MonthlyResult
from manyi.figures import city_summary
from manyi.model import Questionnaire
from manyi.reports.monthly import city_report, department_report
from manyi.reports.view import MonthView, city_signals
from manyi.store.pressure.base import MonthCounts
from tests.integrity_months import MONTH, Month, burst

HONEST = ("gonganju", "jiaoyuju", "minzhengju")


def view_of(questionnaire: Questionnaire, months: list[Month], pressure: MonthCounts) -> MonthView:
    results = [MonthlyResult(m.department, MONTH, m.counts(questionnaire)) for m in months]
    city = city_summary(questionnaire, MONTH, results, {m.department: 200 for m in months})
    signals = city_signals(questionnaire, city, None, None)
    return MonthView(MONTH, None, city, signals=signals, pressure=pressure)


def honest(seed: int = 2) -> list[Month]:
    return [Month(d, seed + n).honest(120) for n, d in enumerate(HONEST)]


def test_the_city_report_lists_the_flagged_departments(questionnaire: Questionnaire) -> None:
    gamed = Month("sifaju", 1).honest(120)
    burst(gamed)
    view = view_of(questionnaire, [gamed, *honest()], {"sifaju": {"yes": 1, "no": 1}})
    sections = {s.title: s for s in city_report(questionnaire, view, None).sections}
    [table] = sections["数据质量预警"].tables
    assert [row[0] for row in table.rows] == ["平顶山市司法局"]
    [(_, fired, said)] = table.rows
    assert isinstance(fired, str)
    assert fired.startswith("同一网络或同一批录入短时间内集中提交")
    assert said == "1 / 1 / 0"
    # A department's own report depends on nothing of another's: no flags in it.
    own = department_report(questionnaire, view, "sifaju", date(2026, 11, 28), with_city=False)
    assert "数据质量预警" not in [s.title for s in own.sections]


def test_a_month_without_flags_has_no_such_section(questionnaire: Questionnaire) -> None:
    view = view_of(questionnaire, honest(), {"gonganju": {"no": 3}})
    titles = [s.title for s in city_report(questionnaire, view, None).sections]
    assert "数据质量预警" not in titles
    assert titles[-1] == "工作要求"
