"""The issue's acceptance path on one machine: N submissions through `manyi serve`, then
`manyi aggregate`, `manyi results --format json`, `manyi aggregate --verify`, and the office's
pages under /results/ of the same server, behind `manyi token`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from manyi.model import Questionnaire
from tests.cli import run_manyi as manyi
from tests.results_data import random_answers
from tests.serving import serving

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow


def test_n_submissions_through_serve_are_n_in_the_results_and_verify_agrees(
    questionnaire: Questionnaire, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    rnd = random.Random(7)
    n = 17
    months = set()
    with serving(data, tmp_path / "no-site") as served:
        for i in range(n):
            body = {
                "submission_id": f"accept-{i:04d}",
                "department": "sifaju",
                "version": questionnaire.version,
                "channel": "leaflet",
                "website": "",
                "answers": random_answers(questionnaire, rnd),
            }
            status, _, answer = served.post_json(body)
            assert status == 201, answer
            months.add(answer["month"])
            if i == 0:
                assert served.post_json(body)[0] == 201  # a replay is stored once
        assert len(months) == 1, months  # one Beijing month (unless run across a month's end)
        month = months.pop()

        aggregate = manyi("aggregate", "--month", month, "--data", str(data))
        assert aggregate.returncode == 0, aggregate.stderr
        assert f"read {n} new response(s)" in aggregate.stdout
        assert (data / "reports" / month / "report.html").exists()

        results = manyi("results", "--month", month, "--format", "json", "--data", str(data))
        assert results.returncode == 0, results.stderr
        by_id = {d["department"]: d for d in json.loads(results.stdout)["departments"]}
        assert by_id["sifaju"]["responses"] == n
        assert by_id["sifaju"]["month"] == month
        assert sum(by_id["sifaju"]["questions"]["respondent"].values()) == n
        assert by_id["yexian"]["responses"] == 0

        verify = manyi("aggregate", "--verify", "--month", month, "--data", str(data))
        assert verify.returncode == 0, verify.stderr
        assert "agree exactly" in verify.stdout

        # The same numbers on the office's pages, and nothing there without the token.
        assert served.request("GET", f"/results/{month}/results.json")[0] == 401
        token = manyi("token", "--data", str(data)).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        status, headers, page = served.request("GET", f"/results/{month}/results.json", None, auth)
        assert status == 200
        assert headers["Cache-Control"] == "no-store"
        served_by_id = {d["department"]: d for d in json.loads(page)["departments"]}
        assert served_by_id["sifaju"]["responses"] == n
        status, _, page = served.request("GET", "/results/", None, auth)
        assert status == 200
        assert month in page.decode()

        # Closing freezes the report; a response after the close is late, counted apart.
        close = manyi(
            "aggregate", "--close", "--month", month, "--force", "--reason", "验收：提前关账",
            "--lag", "0", "--data", str(data),
        )  # fmt: skip
        assert close.returncode == 0, close.stderr
        assert f"closed {month}" in close.stdout
        frozen = (data / "reports" / month / "report.html").read_bytes()
        late = {
            **body,
            "submission_id": "accept-late",
            "answers": random_answers(questionnaire, rnd),
        }
        assert served.post_json(late)[0] == 201
        again = manyi("aggregate", "--month", month, "--lag", "0", "--data", str(data))
        assert again.returncode == 0, again.stderr
        assert (data / "reports" / month / "report.html").read_bytes() == frozen
        results = manyi("results", "--month", month, "--format", "json", "--data", str(data))
        sifaju = json.loads(results.stdout)["departments"][0]
        assert (sifaju["status"], sifaju["responses"], sifaju["late_responses"]) == ("closed", n, 1)
        late_file = json.loads((data / "reports" / month / "late.json").read_text("utf-8"))
        assert late_file["late_responses"] == 1
