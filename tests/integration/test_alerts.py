"""Warnings before the 28th, on synthetic months: pace, silence, a problem rate that jumps."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from manyi.aggregate import Counts, MonthlyResult
from manyi.alerts import (
    Alert,
    binomial_upper_tail,
    is_alert_day,
    month_alerts,
    two_proportion_lower,
)
from manyi.calendar import DEFAULT_ZONE as BEIJING
from manyi.cli import main
from manyi.model import Questionnaire
from manyi.store.results.base import DepartmentMonthState
from manyi.store.results.sqlite import SqliteResultsStore

MONTH = "2026-11"
TWENTIETH = datetime(2026, 11, 20, 9, 0, tzinfo=BEIJING)
BEFORE = ("2026-08", "2026-09", "2026-10")


def put(store: SqliteResultsStore, department: str, month: str, counts: Counts) -> None:
    state = store.state(department, month)
    result = MonthlyResult(department, month, counts)
    store.put_state(DepartmentMonthState(result, state.version + 1, "R#x"), state.version)


def q3(answered: int, charges: int) -> Counts:
    """`answered` respondents to 第3题, `charges` of them reporting 乱收费、乱罚款."""
    return Counts(
        responses=answered,
        channels={"leaflet": answered},
        answered={"q2": answered, "q3": answered},
        options={
            "q2": {"yes": answered},
            "q3": {"arbitrary_charges": charges, "none": answered - charges},
        },
    )


@pytest.fixture
def store() -> SqliteResultsStore:
    return SqliteResultsStore(":memory:")


def kinds(alerts: list[Alert], department: str) -> list[str]:
    return [a.kind for a in alerts if a.department.id == department]


def test_a_department_at_40_percent_on_the_20th_is_warned_one_on_pace_is_not(
    questionnaire: Questionnaire, store: SqliteResultsStore
) -> None:
    put(store, "sifaju", MONTH, Counts(responses=40, channels={"phone": 40}))
    put(store, "gonganju", MONTH, Counts(responses=70, channels={"phone": 70}))
    store.set_served({(MONTH, "sifaju"): 100, (MONTH, "gonganju"): 100})
    alerts = month_alerts(questionnaire, store, MONTH, TWENTIETH)
    assert kinds(alerts, "sifaju") == ["pace"]
    assert kinds(alerts, "gonganju") == []  # 70% on the 20th: about 95% at the close
    warning = next(a for a in alerts if a.department.id == "sifaju")
    # What, how much, against what, what to do.
    assert warning.what == "按目前进度关账时测评率达不到目标"
    assert "目前40份，测评率40.0%，预计关账时53.7%" in warning.how_much
    assert warning.against == "目标90%，服务对象100人次"
    assert "11月27日关账前还需约50份（每天约8份）" in warning.action


def test_silent_departments_are_warned(
    questionnaire: Questionnaire, store: SqliteResultsStore
) -> None:
    alerts = month_alerts(questionnaire, store, MONTH, TWENTIETH)
    silent = [a for a in alerts if a.kind == "silent"]
    assert len(silent) == len(questionnaire.departments)
    assert silent[0].how_much == "0份，也未填报服务对象数"
    assert silent[0].against == "距11月27日关账还有7天"


def test_12_of_40_against_a_1_percent_baseline_is_flagged_2_of_3_is_not(
    questionnaire: Questionnaire, store: SqliteResultsStore
) -> None:
    for month in BEFORE:
        put(store, "sifaju", month, q3(100, 1))  # 1% in each of the three months before
        put(store, "gonganju", month, q3(100, 1))
    put(store, "sifaju", MONTH, q3(40, 12))
    put(store, "gonganju", MONTH, q3(3, 2))
    store.set_served({(MONTH, "sifaju"): 40, (MONTH, "gonganju"): 3})
    alerts = month_alerts(questionnaire, store, MONTH, TWENTIETH)
    assert kinds(alerts, "sifaju") == ["problem_rise"]
    assert kinds(alerts, "gonganju") == []
    rise = next(a for a in alerts if a.department.id == "sifaju")
    assert rise.what == "第3题乱收费、乱罚款的比例明显上升"
    assert rise.how_much == "本月40人中12人（30.0%）"
    assert rise.against.startswith("前3个月300人中3人（1.0%），二项检验 p=")
    assert rise.p_value is not None
    assert rise.p_value < 1e-10


def test_the_tests_themselves() -> None:
    # P(X >= 2 | 3, 0.5) = 4/8.
    assert binomial_upper_tail(2, 3, 0.5) == pytest.approx(0.5)
    assert binomial_upper_tail(0, 10, 0.1) == 1.0
    assert binomial_upper_tail(1, 10, 0.0) == 0.0
    # 50% of 100 against 80% of 300: far below; 79% of 100 against 80%: not.
    assert two_proportion_lower(50, 100, 240, 300) < 1e-6
    assert two_proportion_lower(79, 100, 240, 300) > 0.3


def test_a_sharp_fall_in_satisfaction_is_flagged(
    questionnaire: Questionnaire, store: SqliteResultsStore
) -> None:
    def rated(satisfied: int, dissatisfied: int) -> Counts:
        n = satisfied + dissatisfied
        return Counts(
            responses=n,
            channels={"leaflet": n},
            answered={"q9": n},
            options={"q9": {"satisfied": satisfied, "dissatisfied": dissatisfied}},
        )

    for month in BEFORE:
        put(store, "sifaju", month, rated(90, 10))
    put(store, "sifaju", MONTH, rated(25, 25))
    store.set_served({(MONTH, "sifaju"): 50})
    alerts = month_alerts(questionnaire, store, MONTH, TWENTIETH)
    fall = [a for a in alerts if a.kind == "satisfaction_fall"]
    assert [a.department.id for a in fall] == ["sifaju"]
    assert fall[0].how_much.startswith("本月50.0%（50个评价）")
    assert fall[0].against.startswith("前3个月90.0%（300个评价），两比例检验 p=")


def test_alert_days_default_to_the_10th_and_20th(questionnaire: Questionnaire) -> None:
    assert is_alert_day(questionnaire, TWENTIETH)
    assert is_alert_day(questionnaire, datetime(2026, 11, 10, 8, tzinfo=BEIJING))
    assert not is_alert_day(questionnaire, datetime(2026, 11, 11, 8, tzinfo=BEIJING))


def test_manyi_alerts_lists_them(
    tmp_path: Path, questionnaire: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SqliteResultsStore(tmp_path / "results.sqlite3")
    put(store, "sifaju", MONTH, Counts(responses=40, channels={"phone": 40}))
    store.set_served({(MONTH, "sifaju"): 100})
    store.close()
    options = ["--month", MONTH, "--data", str(tmp_path), "--at", "2026-11-20T09:00+08:00"]
    assert main(["alerts", *options, "--department", "sifaju"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026-11：1 条提醒")
    assert "平顶山市司法局：按目前进度关账时测评率达不到目标" in out
    assert main(["alerts", *options, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {a["kind"] for a in document["alerts"]} == {"pace", "silent"}
    assert main(["alerts", *options[:4], "--at", "yesterday"]) != 0
    assert "--at 'yesterday' is not an ISO time" in capsys.readouterr().err
