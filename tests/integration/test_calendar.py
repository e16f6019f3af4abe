"""The office's calendar: months as people write them, and `reporting`'s time zone and close day."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from manyi.calendar import BadMonth, OfficeCalendar, next_month, parse_month, previous_month
from manyi.cli import main
from manyi.collector.intake import Intake
from manyi.model import Questionnaire
from manyi.results.run import Aggregator
from manyi.results.service import months_to_close
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.submissions.memory import MemorySubmissionStore
from manyi.versions import Catalogue
from tests.apigw import submission_body

BEIJING = OfficeCalendar("Asia/Shanghai", 27)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-11", "2026-11"),
        (" 2026-1 ", "2026-01"),
        ("2026/11", "2026-11"),
        ("2026.11", "2026-11"),
        ("2026年11月", "2026-11"),
        ("２０２６-１２", "2026-12"),  # full-width digits, as a Chinese input method types them
        ("２０２６－１２", "2026-12"),
        ("２０２６年１２月", "2026-12"),
    ],
)
def test_months_as_people_write_them(text: str, month: str) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize(
    "text",
    [
        "٢٠٢٦-١٢",  # Arabic-Indic digits: \d matched them, and a different month was stored
        "२०२६-१२",  # Devanagari digits
        "2026-1²",
        "0000-01",
        "1999-12",
        "3000-01",
        "2026-13",
        "2026-00",
        "26-11",
        "2026-11-01",
        "",
    ],
)
def test_anything_else_is_refused_with_a_chinese_message(text: str) -> None:
    with pytest.raises(BadMonth, match="月份"):
        parse_month(text)


def test_month_arithmetic_across_years() -> None:
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-11") == "2026-10"
    assert next_month("2026-12") == "2027-01"
    assert next_month("2026-09") == "2026-10"


@pytest.mark.parametrize("month", ["0000-01", "٢٠٢٦-١٢", "2026-13"])
def test_a_bad_month_on_the_command_line_is_a_message_not_a_traceback(
    month: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["aggregate", "--month", month, "--lag", "0", "--data", str(tmp_path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"月份“{month}”" in err
    assert "Traceback" not in err


def test_a_full_width_month_names_the_same_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["served", "set", "sifaju", "40", "--month", "２０２６-１２", "--data", str(tmp_path)])
        == 0
    )
    capsys.readouterr()
    assert main(["served", "list", "--month", "2026-12", "--data", str(tmp_path)]) == 0
    assert "sifaju\t平顶山市司法局\t40" in capsys.readouterr().out


def test_the_calendar_follows_the_time_zone_it_is_given() -> None:
    moment = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 1 December 04:00 in Beijing
    assert BEIJING.month(moment) == "2026-12"
    assert OfficeCalendar("Europe/London", 27).month(moment) == "2026-11"
    assert BEIJING.today(moment).isoformat() == "2026-12-01"


def test_the_close_day_opens_at_midnight_of_the_office() -> None:
    calendar = OfficeCalendar("Asia/Shanghai", 20)
    assert calendar.early_close("2026-11", datetime(2026, 11, 19, 15, 59, tzinfo=UTC))
    assert calendar.early_close("2026-11", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)) is None
    assert calendar.early_close("2026-10", datetime(2026, 11, 1, tzinfo=UTC)) is None
    future = calendar.early_close("2026-12", datetime(2026, 11, 25, tzinfo=UTC))
    assert future is not None
    assert "还没有到" in future


def _with_reporting(
    questionnaire: Questionnaire, *, timezone: str | None = None, close_day: int | None = None
) -> Questionnaire:
    reporting = questionnaire.reporting
    return replace(
        questionnaire,
        reporting=reporting._replace(
            timezone=timezone or reporting.timezone, close_day=close_day or reporting.close_day
        ),
    )


def test_the_collector_stamps_the_month_of_reporting_timezone(questionnaire: Questionnaire) -> None:
    moment = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    months = {}
    for timezone in ("Asia/Shanghai", "Europe/London"):
        local = _with_reporting(questionnaire, timezone=timezone)
        intake = Intake(Catalogue.of(local), MemorySubmissionStore())
        body = json.dumps(submission_body(local)).encode()
        outcome = intake.submit("application/json", body, "203.0.113.7", moment)
        assert outcome.status == 201, outcome.body
        months[timezone] = outcome.body["month"]
    assert months == {"Asia/Shanghai": "2026-12", "Europe/London": "2026-11"}


def test_the_scheduled_close_follows_reporting_close_day_and_timezone(
    questionnaire: Questionnaire,
) -> None:
    moment = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)  # 20 Nov 01:00 Beijing, 19 Nov in London

    def due(local: Questionnaire) -> list[str]:
        aggregator = Aggregator(local, MemorySubmissionStore(), SqliteResultsStore(":memory:"))
        return months_to_close(aggregator, moment)

    on_20th = _with_reporting(questionnaire, close_day=20)
    assert due(on_20th) == ["2026-10", "2026-11"]  # October was never closed: it is now
    assert due(_with_reporting(on_20th, timezone="Europe/London")) == ["2026-10"]
    assert due(questionnaire) == ["2026-10"]  # the 27th
