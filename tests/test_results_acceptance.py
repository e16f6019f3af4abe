"""The issue's acceptance path on one machine: responses stored as `manyi serve` stores them,
then `manyi aggregate`, `manyi results --format json` and `manyi aggregate --verify`."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from manyi.model import Questionnaire
from manyi.results.backends import SUBMISSIONS_FILE
from manyi.store.sqlite import SQLiteSubmissionStore
from manyi.submission import beijing_month
from tests.conftest import ROOT
from tests.memory_submissions import stored
from tests.results_data import random_answers


def manyi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manyi", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_n_stored_responses_are_n_in_the_results_and_verify_agrees(
    questionnaire: Questionnaire, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    now = datetime.now(UTC)
    # Older than the safety lag, and all in one Beijing month.
    received = now - timedelta(minutes=10)
    month = beijing_month(received)
    store = SQLiteSubmissionStore(data / SUBMISSIONS_FILE)
    rnd = random.Random(7)
    n = 23
    for i in range(n):
        moment = received - timedelta(seconds=i)
        if beijing_month(moment) != month:
            moment = received
        store.put(stored(f"accept-{i:04d}", moment, random_answers(questionnaire, rnd)))
    store.put(stored("accept-0000", received, {}))  # a replay: stored once
    store.put(
        stored("other-0001", received, random_answers(questionnaire, rnd), department="yexian")
    )
    store.close()

    aggregate = manyi("aggregate", "--month", month, "--data", str(data))
    assert aggregate.returncode == 0, aggregate.stderr
    assert f"read {n + 1} new response(s)" in aggregate.stdout
    assert (data / "reports" / month / "report.html").exists()

    results = manyi("results", "--month", month, "--format", "json", "--data", str(data))
    assert results.returncode == 0, results.stderr
    document = json.loads(results.stdout)
    by_id = {d["department"]: d for d in document["departments"]}
    assert by_id["sifaju"]["responses"] == n
    assert by_id["sifaju"]["month"] == month
    assert sum(by_id["sifaju"]["questions"]["respondent"].values()) == n
    assert by_id["yexian"]["responses"] == 1

    verify = manyi("aggregate", "--verify", "--month", month, "--data", str(data))
    assert verify.returncode == 0, verify.stderr
    assert "agree exactly" in verify.stdout
