"""JSON, CSV and XLSX exports: the figures, numbers as numbers, and no formula ever runs."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from manyi.aggregate import Counts, MonthlyResult
from manyi.figures import city_summary
from manyi.model import Questionnaire
from manyi.reports.csv_export import options_csv, summary_csv
from manyi.reports.json_export import month_json
from manyi.reports.tables import FORMULA_PREFIXES, safe_cell, summary_columns
from manyi.reports.view import MonthView, month_view
from manyi.reports.workbook import sheet_name, to_xlsx
from tests.results_data import counted_store as _counted_store
from tests.results_data import made_up_submissions

HOSTILE = [
    '=HYPERLINK("http://example.invalid","x")',
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
]


def hostile_questionnaire(questionnaire: Questionnaire, payload: str) -> Questionnaire:
    data = questionnaire.to_dict()
    data["departments"][0]["name"] = payload
    data["sections"][1]["questions"][0]["options"][0]["text"] = payload
    return Questionnaire.from_dict(data)


def hostile_view(questionnaire: Questionnaire, payload: str) -> MonthView:
    counts = Counts(
        responses=2,
        channels={payload: 2},
        versions={payload: 2},
        answered={"q1": 2, payload: 1},
        options={"q1": {"unlawful_procedure": 1, payload: 1}, payload: {payload: 1}},
    )
    department = questionnaire.departments[0].id
    result = MonthlyResult(department, "2026-11", counts, counts)
    city = city_summary(questionnaire, "2026-11", [result], {department: 3})
    return MonthView("2026-11", None, city)


@given(st.text(max_size=20))
def test_safe_cell_defuses_exactly_the_formula_prefixes(text: str) -> None:
    safe = safe_cell(text)
    assert isinstance(safe, str)
    assert not safe.startswith(FORMULA_PREFIXES)
    if text.startswith(FORMULA_PREFIXES):
        assert safe == "'" + text
    else:
        assert safe == text
    assert safe_cell(-3) == -3  # a negative number stays a number


@pytest.mark.parametrize("payload", HOSTILE)
def test_no_csv_cell_starts_a_formula(questionnaire: Questionnaire, payload: str) -> None:
    q = hostile_questionnaire(questionnaire, payload)
    view = hostile_view(q, payload)
    for text in (summary_csv(q, view), options_csv(view)):
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        cells = [c for row in rows for c in row]
        assert any(payload in c for c in cells)
        assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)]


@pytest.mark.slow
@pytest.mark.parametrize("payload", HOSTILE)
def test_no_xlsx_cell_is_a_formula(
    questionnaire: Questionnaire, payload: str, tmp_path: Path
) -> None:
    q = hostile_questionnaire(questionnaire, payload)
    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(q, hostile_view(q, payload)))
    book = load_workbook(path)  # formulas kept as formulas: data_only is off
    seen = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES)
                    # XML turns a carriage return into a line feed on the way, unless the
                    # writer escapes it (openpyxl with lxml, which python-docx brings).
                    seen += payload in cell.value or payload.replace("\r", "\n") in cell.value
    assert seen >= 3


def _view(questionnaire: Questionnaire) -> MonthView:
    subs = made_up_submissions(questionnaire)
    served = {("2026-11", d.id): 10 for d in questionnaire.departments[:3]}
    store = _counted_store(questionnaire, subs, served=served)
    return month_view(questionnaire, store, "2026-11", trend_months=3)


def test_month_json_has_the_promised_fields(questionnaire: Questionnaire) -> None:
    view = _view(questionnaire)
    data: dict[str, Any] = json.loads(json.dumps(month_json(view)))
    assert data["month"] == "2026-11"
    assert data["status"] == "open"
    assert len(data["departments"]) == len(questionnaire.departments)
    first = data["departments"][0]
    for key in ("department", "month", "responses", "coverage", "satisfaction_index", "questions"):
        assert key in first
    assert first["responses"] == sum(first["questions"]["respondent"].values())
    assert first["coverage"] == pytest.approx(first["responses"] / 10, abs=1e-6)
    assert set(first["questions"]["q9"]) == {
        "satisfied", "basically_satisfied", "dissatisfied", "unknown"
    }  # fmt: skip
    assert data["city"]["responses"] == sum(d["responses"] for d in data["departments"])
    assert [r["department"] for r in data["rankings"]["coverage"]][:3]
    only = month_json(view, questionnaire.departments[1].id)
    assert [d["department"] for d in only["departments"]] == [questionnaire.departments[1].id]


def test_summary_csv_numbers_match_the_json(questionnaire: Questionnaire) -> None:
    view = _view(questionnaire)
    rows = list(csv.DictReader(io.StringIO(summary_csv(questionnaire, view).lstrip("\ufeff"))))
    assert list(rows[0]) == summary_columns(questionnaire)
    by_id = {d["department"]: d for d in month_json(view)["departments"]}
    for row in rows:
        d = by_id[row["部门编号"]]
        assert int(row["有效问卷数"]) == d["responses"]
        if d["coverage"] is None:
            assert row["测评率(%)"] == ""
        else:
            assert float(row["测评率(%)"]) == pytest.approx(d["coverage"] * 100, abs=0.01)


@pytest.mark.slow
def test_xlsx_has_a_city_sheet_then_one_per_department(
    questionnaire: Questionnaire, tmp_path: Path
) -> None:
    view = _view(questionnaire)
    path = tmp_path / "results.xlsx"
    path.write_bytes(to_xlsx(questionnaire, view))
    book = load_workbook(path)
    assert book.sheetnames[0] == "全市汇总"
    assert len(book.sheetnames) == 1 + len(questionnaire.departments)
    assert book.sheetnames[1] == questionnaire.departments[0].name
    city = book["全市汇总"]
    assert city["A2"].value == "有效问卷数"
    assert city["B2"].value == view.city.total.responses
    assert isinstance(city["B2"].value, int)
    header = next(r for r in city.iter_rows(values_only=True) if r[0] == "部门编号")
    assert "测评率" in header
    sheet = book[questionnaire.departments[0].name]
    counts = [r[3] for r in sheet.iter_rows(values_only=True) if r[2] == "满意"]
    assert counts
    assert all(isinstance(n, int) for n in counts)


def test_sheet_names_follow_excel_rules() -> None:
    taken: set[str] = set()
    assert sheet_name("a/b[c]:d*e?f\\g", taken) == "a_b_c__d_e_f_g"
    long = "平顶山市" * 10
    first = sheet_name(long, taken)
    second = sheet_name(long, taken)
    assert len(first) == len(second) == 31
    assert first != second


def test_a_closed_month_shows_late_arrivals_apart(questionnaire: Questionnaire) -> None:
    view = _view(questionnaire)
    d = view.city.departments[0]
    late = replace(d, late=d.counts)
    assert (
        month_json(replace(view, city=replace(view.city, departments=(late,))))["departments"][0][
            "late_responses"
        ]
        == d.responses
    )


def _labelled_view(questionnaire: Questionnaire) -> MonthView:
    counts = Counts(
        responses=7,
        channels={"leaflet": 4, "meeting": 3},
        versions={questionnaire.version: 5, "0123456789ab": 2},
        answered={"respondent": 7, "q4": 7, "q1": 7},
        options={
            "respondent": {"person": 5, "private": 2},
            "q4": {"yes": 6, "no": 1},
            "q1": {"not_handled": 1, "none": 6},
        },
    )
    result = MonthlyResult("sifaju", "2026-11", counts)
    return MonthView("2026-11", None, city_summary(questionnaire, "2026-11", [result], {}))


@pytest.mark.slow
def test_people_read_labels_not_codes(questionnaire: Questionnaire, tmp_path: Path) -> None:
    view = _labelled_view(questionnaire)
    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(questionnaire, view))
    cells = {c for row in load_workbook(path)["平顶山市司法局"].iter_rows(values_only=True)
             for c in row if isinstance(c, str)}  # fmt: skip
    assert {"宣传彩页二维码", "座谈会", "个人", "民营企业"} <= cells
    assert f"现行版本（{questionnaire.version}）" in cells
    assert "此前版本（0123456789ab）" in cells
    assert not {"leaflet", "meeting", "person", "private", questionnaire.version} & cells
    columns = summary_columns(questionnaire)
    assert "第4题问题率(%)：答“没有”" in columns  # the answer counted, not "没有" alone
    assert "第1题问题率(%)：应当办理而不办理" in columns
    assert "第4题问题率(%)：没有" not in columns
