"""The monthly report's 回访 and 投诉举报 sections: written from the figures, absent without
data, and nothing personal in them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from manyi.complaints.figures import month_figures
from manyi.complaints.model import Complaint
from manyi.complaints.report_section import ComplaintSections, complaints_section
from manyi.complaints.settings import CATEGORIES
from manyi.followup.figures import FollowupFigures
from manyi.followup.report_section import followup_section, total_of
from manyi.model import Questionnaire
from manyi.reports.providers import report_providers
from manyi.reports.tables import percent
from tests.report_sections_data import ACCOUNT, SUBJECT, complaints, followup_figures

MONTH = "2026-11"


def section_text(section: object) -> str:
    """Everything a section prints: paragraphs, captions, headers, cells and notes."""
    parts = [*getattr(section, "paragraphs", ())]
    for table in getattr(section, "tables", ()):
        parts += [table.caption, *table.columns, *table.notes]
        parts += [str(cell) for row in table.rows for cell in row]
    return "\n".join(parts)


def nothing_imported(figures: list[FollowupFigures]) -> list[FollowupFigures]:
    """The same departments and month, with no case imported (every count 0)."""
    return [replace(total_of([], f.month), department=f.department) for f in figures]


# -- 回访 ---------------------------------------------------------------------------------


def test_the_followup_section_says_what_the_figures_say(questionnaire: Questionnaire) -> None:
    figures = followup_figures(questionnaire, MONTH)
    # Two departments imported nothing this month: not in the table, counted in a sentence.
    figures[3] = nothing_imported([figures[3]])[0]
    figures[5] = nothing_imported([figures[5]])[0]
    section = followup_section(questionnaire, figures, None)
    assert section is not None
    assert section.title == "回访情况"
    total = total_of(figures, MONTH)
    assert total.closed == sum(f.closed for f in figures)
    assert total.completed == sum(f.completed for f in figures)
    text = "".join(section.paragraphs)
    assert f"本月36个部门导入办结的许可、处罚案件{total.closed:,}件" in text
    assert f"抽取回访{total.drawn:,}件，联系到当事人{total.reached:,}件" in text
    assert f"完成回访{total.completed:,}件；应答率{percent(total.response_rate)}" in text
    assert f"满意率{percent(total.satisfaction_rate)}" in text
    assert f"{total.with_problem:,}件回访反映了问题" in text
    assert f"已逾期{total.problems_overdue:,}件" in text
    assert "另有2个部门本月没有导入办结案件" in text
    (table,) = section.tables
    names = [row[0] for row in table.rows]
    assert len(names) == 37
    assert names[-1] == "全市"
    assert questionnaire.departments[3].name not in names
    assert table.rows[-1][1] == f"{total.closed:,}"


def test_a_department_gets_its_own_followup_figures_only(questionnaire: Questionnaire) -> None:
    figures = followup_figures(questionnaire, MONTH)
    own = figures[0]
    section = followup_section(questionnaire, figures, own.department)
    assert section is not None
    assert not section.tables
    text = "".join(section.paragraphs)
    assert f"本月本部门导入办结案件{own.closed:,}件，抽取回访{own.drawn:,}件" in text
    assert f"应答率{percent(own.response_rate)}" in text
    assert questionnaire.departments[1].name not in text


def test_without_imported_cases_the_followup_section_is_absent(
    questionnaire: Questionnaire,
) -> None:
    figures = nothing_imported(followup_figures(questionnaire, MONTH))
    assert followup_section(questionnaire, figures, None) is None
    assert followup_section(questionnaire, figures, figures[0].department) is None
    assert followup_section(questionnaire, [], None) is None


# -- 投诉举报 ---------------------------------------------------------------------------


def test_the_complaints_section_counts_the_month_by_category_and_department(
    questionnaire: Questionnaire,
) -> None:
    received = complaints(questionnaire, MONTH)
    figures = month_figures(received, MONTH, questionnaire.complaints)
    assert figures.received == len(received) - 1  # the one of October is not counted
    section = complaints_section(questionnaire, received, MONTH, None)
    assert section is not None
    text = "".join(section.paragraphs)
    assert f"本月收到投诉举报{figures.received}件，涉及{len(figures.by_department)}个部门" in text
    assert f"已办结或不予受理的{figures.closed}件中，按期{figures.closed_on_time}件" in text
    categories, departments = section.tables
    assert [row[0] for row in categories.rows] == [*CATEGORIES.values(), "合计"]
    assert sum(int(str(row[1])) for row in categories.rows[:-1]) == figures.received
    assert len(departments.rows) == len(figures.by_department) + 1
    assert departments.rows[-1][:3] == ["全市", figures.received, figures.closed]
    # In the office's order of departments.
    order = [d.name for d in questionnaire.departments]
    names = [str(row[0]) for row in departments.rows[:-1]]
    assert names == sorted(names, key=order.index)


def test_a_departments_complaints_and_none_is_no_section(questionnaire: Questionnaire) -> None:
    received = complaints(questionnaire, MONTH)
    about = received[0].department
    own = [c for c in received if c.department == about and c.received_on.startswith(MONTH)]
    section = complaints_section(questionnaire, received, MONTH, about)
    assert section is not None
    assert section.paragraphs[0].startswith(f"本月收到涉及本部门的投诉举报{len(own)}件")
    untouched = next(
        d.id for d in questionnaire.departments if d.id not in {c.department for c in received}
    )
    assert complaints_section(questionnaire, received, MONTH, untouched) is None
    # A month without complaints: no section at all.
    assert complaints_section(questionnaire, received, "2026-12", None) is None
    assert complaints_section(questionnaire, [], MONTH, None) is None


def test_no_complainant_words_nor_names_reach_the_section(questionnaire: Questionnaire) -> None:
    received = complaints(questionnaire, MONTH)
    texts = [section_text(complaints_section(questionnaire, received, MONTH, None))]
    for department in {c.department for c in received}:
        texts.append(section_text(complaints_section(questionnaire, received, MONTH, department)))
    for text in texts:
        assert ACCOUNT not in text
        assert SUBJECT not in text
        assert "office-1" not in text  # the handler's account
        assert "2026-x-" not in text  # complaint numbers


# -- which sections a caller's stores can fill -------------------------------------------------


class YearOfComplaints:
    """A complaints store as the provider reads it: one Query per year, counted."""

    def __init__(self, complaints: list[Complaint]) -> None:
        self.complaints = complaints
        self.reads: list[int] = []

    def year(self, year: int) -> list[Complaint]:
        self.reads.append(year)
        return [c for c in self.complaints if c.year == year]


def test_providers_come_only_from_the_stores_at_hand(questionnaire: Questionnaire) -> None:
    today = date(2026, 11, 28)
    assert report_providers(questionnaire, today=today) == {}
    store = YearOfComplaints(complaints(questionnaire, MONTH))
    providers = report_providers(questionnaire, complaints=store, today=today)  # type: ignore[arg-type]
    assert set(providers) == {"complaints"}
    assert isinstance(providers["complaints"], ComplaintSections)
    assert providers["complaints"](MONTH, None) is not None
    for department in questionnaire.departments:
        providers["complaints"](MONTH, department.id)
    assert store.reads == [2026]  # the city's and 38 departments' reports: one read
    # An empty store: the section is absent, not empty.
    empty = report_providers(questionnaire, complaints=YearOfComplaints([]), today=today)  # type: ignore[arg-type]
    assert empty["complaints"](MONTH, None) is None
    without_followup = replace(questionnaire, followup=None)
    assert report_providers(without_followup, cases=object(), today=today) == {}  # type: ignore[arg-type]
