"""Closing and reopening a month: due only from its close day, forced only with a reason,
undone by a reopen, and every close and reopen on record in the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from manyi.calendar import next_month
from manyi.cli import main
from manyi.results.backends import Backend
from manyi.results.outputs import OutputFolder
from manyi.results.run import Aggregator
from manyi.results.service import RefusedRequest, Request, run_aggregator
from manyi.store.results.base import DepartmentMonthState
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.submissions.memory import MemorySubmissionStore
from manyi.submission import StoredSubmission
from tests.responses import OFFICE, stored
from tests.unit.test_answers import QUESTIONNAIRE

MONTH = "2026-11"
CLOSE_DAY = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 00:00 on the 27th in Beijing
ANSWERS: dict[str, str | tuple[str, ...]] = {"respondent": "person", "q9": "satisfied"}


def _responses(start: datetime, n: int, prefix: str) -> list[StoredSubmission]:
    return [stored(f"{prefix}-{i:04d}", start + timedelta(minutes=i), ANSWERS) for i in range(n)]


def _backend(tmp_path: Path, source: MemorySubmissionStore) -> Backend:
    return Backend(source, SqliteResultsStore(tmp_path / "r.sqlite3"), OutputFolder(tmp_path), "")


def _report(tmp_path: Path) -> str:
    return (tmp_path / "reports" / MONTH / "report.html").read_text(encoding="utf-8")


def _json(tmp_path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (tmp_path / "reports" / MONTH / "results.json").read_text(encoding="utf-8")
    )
    return data


@pytest.mark.slow
def test_a_close_before_the_close_day_is_refused(tmp_path: Path) -> None:
    backend = _backend(tmp_path, MemorySubmissionStore())
    early = CLOSE_DAY - timedelta(minutes=1)
    with pytest.raises(RefusedRequest, match="关账日是 2026-11-27"):
        run_aggregator(QUESTIONNAIRE, backend, Request("close", (MONTH,), by="王"), early)
    with pytest.raises(RefusedRequest, match="还没有到"):
        run_aggregator(QUESTIONNAIRE, backend, Request("close", ("2026-12",), by="王"), early)
    with pytest.raises(RefusedRequest, match="原因"):
        run_aggregator(QUESTIONNAIRE, backend, Request("close", (MONTH,), force=True), early)
    assert backend.results.month_close(MONTH) is None
    assert backend.results.close_events(MONTH) == []
    # On the close day, or with --force and a reason before it, the close is made.
    on_time = run_aggregator(QUESTIONNAIRE, backend, Request("close", (MONTH,), by="王"), CLOSE_DAY)
    assert on_time.closed == [MONTH]
    forced = Request("close", ("2026-12",), by="王", reason="12月停止测评", force=True)
    assert run_aggregator(QUESTIONNAIRE, backend, forced, early).closed == ["2026-12"]
    [event] = backend.results.close_events("2026-12")
    assert (event.by, event.reason, event.early) == ("王", "12月停止测评", True)
    [event] = backend.results.close_events(MONTH)
    assert (event.action, event.by, event.early) == ("close", "王", False)


@pytest.mark.slow
def test_a_reopen_unfreezes_the_report_and_both_are_on_record(tmp_path: Path) -> None:
    source = MemorySubmissionStore(_responses(CLOSE_DAY - timedelta(days=3), 4, "before"))
    backend = _backend(tmp_path, source)
    close = Request("close", (MONTH,), by="王科长")
    run_aggregator(QUESTIONNAIRE, backend, close, CLOSE_DAY + timedelta(minutes=5))
    for submission in _responses(CLOSE_DAY + timedelta(hours=1), 3, "late"):
        source.put(submission)
    later = CLOSE_DAY + timedelta(hours=6)
    run_aggregator(QUESTIONNAIRE, backend, Request("aggregate", (MONTH,)), later)
    frozen = _json(tmp_path)
    assert frozen["status"] == "closed"
    assert frozen["city"]["responses"] == 4  # type: ignore[index]
    with pytest.raises(RefusedRequest, match="原因"):
        run_aggregator(QUESTIONNAIRE, backend, Request("reopen", (MONTH,), by="李"), later)
    reopen = Request("reopen", (MONTH,), by="李主任", reason="司法局补录座谈会问卷")
    summary = run_aggregator(QUESTIONNAIRE, backend, reopen, later + timedelta(minutes=1))
    assert summary.reopened == [MONTH]
    assert backend.results.month_close(MONTH) is None
    state = backend.results.state("sifaju", MONTH)
    assert (state.result.counts.responses, state.result.late.responses) == (7, 0)
    opened = _json(tmp_path)
    assert opened["status"] == "open"
    assert opened["city"]["responses"] == 7  # type: ignore[index]
    events = opened["close_events"]
    assert [(e["action"], e["by"], e["reason"]) for e in events] == [  # type: ignore[attr-defined]
        ("close", "王科长", ""),
        ("reopen", "李主任", "司法局补录座谈会问卷"),
    ]
    report = _report(tmp_path)
    assert "关账记录" in report
    assert "李主任" in report
    assert "司法局补录座谈会问卷" in report
    assert "重新开账" in report
    verify = run_aggregator(QUESTIONNAIRE, backend, Request("verify", (MONTH,)), later)
    assert verify.disagreements == []
    # Closed again, the report holds everything up to the new close, and the whole history.
    again = run_aggregator(QUESTIONNAIRE, backend, close, later + timedelta(hours=1))
    assert again.closed == [MONTH]
    assert _json(tmp_path)["city"]["responses"] == 7  # type: ignore[index]
    assert len(backend.results.close_events(MONTH)) == 3


def test_a_run_that_read_the_close_before_a_reopen_does_not_split_the_open_month(
    tmp_path: Path,
) -> None:
    """A run reads a department-month, a reopen lands, the run writes: the month stays whole."""
    source = MemorySubmissionStore(_responses(CLOSE_DAY - timedelta(days=1), 2, "before"))
    store = SqliteResultsStore(":memory:")
    aggregator = Aggregator(QUESTIONNAIRE, source, store)
    aggregator.run(CLOSE_DAY + timedelta(minutes=5), [MONTH], close=[MONTH], by="王")
    for submission in _responses(CLOSE_DAY + timedelta(hours=1), 3, "late"):
        source.put(submission)

    class ReopenedMeanwhile:
        """The results store, reopened by someone else as the run reads the department."""

        reopened = False

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def state(self, department: str, month: str) -> DepartmentMonthState:
            if not self.reopened:
                self.reopened = True
                Aggregator(QUESTIONNAIRE, source, store).reopen(
                    month, CLOSE_DAY + timedelta(hours=5), by="李", reason="补录"
                )
            return store.state(department, month)

    racing = Aggregator(QUESTIONNAIRE, source, ReopenedMeanwhile())  # type: ignore[arg-type]
    racing.run(CLOSE_DAY + timedelta(hours=6), [MONTH])
    result = store.state("sifaju", MONTH).result
    assert (result.counts.responses, result.late.responses) == (5, 0)
    assert Aggregator(QUESTIONNAIRE, source, store).verify(MONTH) == []


@pytest.mark.slow
def test_the_command_refuses_an_early_close_and_records_a_forced_one_and_a_reopen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data", str(tmp_path), "--lag", "0"]
    future = next_month(OFFICE.month(datetime.now(UTC)))
    assert main(["aggregate", "--close", "--month", future, *data]) == 2
    assert "不能关账" in capsys.readouterr().err
    assert main(["aggregate", "--close", "--force", "--month", future, *data]) == 2
    assert "原因" in capsys.readouterr().err
    assert (
        main(["aggregate", "--reopen", "--month", future, "--reason", "x", "--force", *data]) == 2
    )
    assert "--force goes with --close" in capsys.readouterr().err
    store = SqliteResultsStore.in_folder(tmp_path)
    assert store.month_close(future) is None
    assert main(["aggregate", "--close", "--force", "--reason", "试运行结束", "--by", "王科长",
                 "--month", future, *data]) == 0  # fmt: skip
    assert f"closed {future}" in capsys.readouterr().out
    assert store.month_close(future) is not None
    assert main(["aggregate", "--reopen", "--month", future, *data]) == 2
    assert "须说明原因" in capsys.readouterr().err
    assert main(["aggregate", "--reopen", "--month", future, "--reason", "误关", "--by", "李",
                 *data]) == 0  # fmt: skip
    assert f"reopened {future}" in capsys.readouterr().out
    assert store.month_close(future) is None
    assert [(e.action, e.by, e.reason, e.early) for e in store.close_events(future)] == [
        ("close", "王科长", "试运行结束", True),
        ("reopen", "李", "误关", False),
    ]
    report = (tmp_path / "reports" / future / "report.html").read_text(encoding="utf-8")
    assert "试运行结束" in report
    assert "提前关账" in report
    assert main(["aggregate", "--reopen", "--month", future, "--reason", "again", *data]) == 0
    assert f"{future} was not closed" in capsys.readouterr().out
