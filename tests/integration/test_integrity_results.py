"""The integrity signals through the aggregator and out: `manyi results --format json` gives
each department its signals, never the traits behind them; a department-month counted before
the traits existed is counted again once, and `--verify` agrees."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from manyi.aggregate import MonthlyResult
from manyi.model import Questionnaire
from manyi.results.backends import local_backend
from manyi.results.service import Request, run_aggregator
from manyi.store.results.base import DepartmentMonthState
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from manyi.traits import NO_TRAITS
from tests.cli import run_manyi
from tests.integrity_months import MONTH, Month, burst

AFTER_THE_MONTH = datetime(2026, 12, 1, tzinfo=UTC)


def _store(data: Path, *months: Month) -> None:
    store = SQLiteSubmissionStore(data / "submissions.sqlite3")
    try:
        for month in months:
            store.put_many(month.responses)
    finally:
        store.close()


def _aggregate(questionnaire: Questionnaire, data: Path) -> None:
    backend = local_backend(data)
    try:
        run_aggregator(questionnaire, backend, Request("aggregate", (MONTH,)), AFTER_THE_MONTH)
    finally:
        backend.close()


@pytest.mark.slow
def test_manyi_results_json_gives_each_department_its_signals(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    data = tmp_path / "data"
    gamed = Month("sifaju", 3).honest(60)
    burst(gamed)
    _store(data, gamed, Month("gonganju", 4).honest(60))
    _aggregate(questionnaire, data)
    done = run_manyi("results", "--month", MONTH, "--format", "json", "--data", str(data))
    assert done.returncode == 0, done.stderr
    departments = {d["department"]: d for d in json.loads(done.stdout)["departments"]}
    assert departments["sifaju"]["signals"]["fired"] == ["burst"]
    assert departments["sifaju"]["signals"]["burst"]["all_top"] >= 40
    assert departments["gonganju"]["signals"]["flagged"] is False
    assert departments["jiaoyuju"]["signals"]["flagged"] is False  # no responses at all
    # The pressure question's counts: none kept in this folder.
    assert departments["sifaju"]["pressure"] is None
    # The traits behind the signals (cells, speed buckets) are not printed.
    assert '"cells"' not in done.stdout
    assert '"traits"' not in done.stdout
    # A filter changes the figures, never the signals: they always read every response.
    only_staff = run_manyi(
        "results", "--month", MONTH, "--format", "json", "--data", str(data), "--entry", "staff"
    )
    assert only_staff.returncode == 0, only_staff.stderr
    filtered = {d["department"]: d for d in json.loads(only_staff.stdout)["departments"]}
    assert filtered["sifaju"]["signals"] == departments["sifaju"]["signals"]


@pytest.mark.slow
def test_a_month_counted_before_the_traits_is_counted_again_once(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    data = tmp_path / "data"
    gamed = Month("sifaju", 3).honest(60)
    burst(gamed)
    _store(data, gamed)
    _aggregate(questionnaire, data)
    backend = local_backend(data)
    try:
        state = backend.results.state("sifaju", MONTH)
        counted = state.result
        assert counted.counts.traits
        # As an earlier release left it: the same counts, no traits.
        old = MonthlyResult("sifaju", MONTH, replace(counted.counts, traits=NO_TRAITS))
        backend.results.put_state(
            DepartmentMonthState(old, state.version + 1, state.watermark), state.version
        )
        # Verify compares what that release counted, and agrees.
        report = run_aggregator(
            questionnaire, backend, Request("verify", (MONTH,)), AFTER_THE_MONTH
        )
        assert report.disagreements == []
        # The next run counts it again from scratch: every response, traits included.
        later = AFTER_THE_MONTH + timedelta(hours=1)
        again = run_aggregator(questionnaire, backend, Request("aggregate", (MONTH,)), later)
        assert again.read == len(gamed.responses)
        assert backend.results.state("sifaju", MONTH).result == counted
        report = run_aggregator(
            questionnaire, backend, Request("verify", (MONTH,)), AFTER_THE_MONTH
        )
        assert report.disagreements == []
    finally:
        backend.close()
