"""Staff entry: importing a 10,000-row XLSX template (goal ≤ 10 s locally), the same as CSV,
and the keying page's weight gzipped (HTML, stylesheet, script).

    python bench/bench_entry.py [--rows 10000] [--runs 3]

Fills the department's template with openpyxl (mixed answers), then uploads it through the
workspace's handler in-process, as `manyi serve` does, into a fresh local data folder each run:
the time is from the request to the answer, reading, checking and storing every row (one
SQLite transaction, fsynced). Prints the median and worst of the runs.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402

from manyi.calendar import DEFAULT_ZONE as BEIJING  # noqa: E402
from manyi.entry_import import DATA_SHEET, columns, template  # noqa: E402
from manyi.loader import load_questionnaire  # noqa: E402
from manyi.model import Questionnaire  # noqa: E402
from manyi.workspace.render import script, stylesheet  # noqa: E402
from tests.entry_papers import mixed_papers  # noqa: E402
from tests.workspace_support import Client, local_workspace, make_account  # noqa: E402

OUT = ROOT / "bench" / "out" / "entry"
NOW = datetime(2026, 11, 14, 10, 0, tzinfo=BEIJING)
GOAL_SECONDS = 10.0


def rows_of(questionnaire: Questionnaire, count: int) -> list[list[str]]:
    papers = mixed_papers(questionnaire, 200, seed=1)
    rows = []
    for n in range(count):
        answers = papers[n % len(papers)]
        row = [f"B{n:06d}"]
        for column in columns(questionnaire):
            value = answers.get(column.question.id)
            if column.option is not None:
                row.append("√" if value is not None and column.option in value else "")
            elif value is None:
                row.append("")
            else:
                option = column.question.option(value)
                row.append(option.text if option else "")
        rows.append(row)
    return rows


def filled_xlsx(questionnaire: Questionnaire, rows: list[list[str]]) -> bytes:
    department = questionnaire.departments[0]
    channel = questionnaire.channel("paper")
    assert channel is not None
    book = load_workbook(io.BytesIO(template(questionnaire, department, channel)))
    sheet = book[DATA_SHEET]
    for index, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            if value:
                sheet.cell(row=index, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filled_csv(questionnaire: Questionnaire, rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["问卷编号", *(c.header for c in columns(questionnaire))])
    writer.writerows(rows)
    return text.getvalue().encode("gbk")


@contextmanager
def signed_in_clerk(questionnaire: Questionnaire, name: str) -> Iterator[Client]:
    """A clerk of the first department, on its entry page, in a fresh data folder."""
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    department = questionnaire.departments[0].id
    with local_workspace(folder, questionnaire, NOW, publish=False, login_limit=None) as ws:
        make_account(ws, "bench-clerk", "department", [department])
        client = Client(ws)
        client.log_in("bench-clerk")
        client.get(f"/workspace/d/{department}/entry/")
        yield client


def timed_upload(questionnaire: Questionnaire, name: str, data: bytes, rows: int) -> float:
    department = questionnaire.departments[0].id
    with signed_in_clerk(questionnaire, "data") as client:
        started = time.perf_counter()
        answer = client.upload(
            f"/workspace/d/{department}/entry/import", {"channel": "paper"}, name, data
        )
        seconds = time.perf_counter() - started
        if answer.status != 200 or f"新保存 {rows} 份" not in answer.text:
            raise SystemExit(f"import failed: {answer.status} {answer.text[-600:]}")
    return seconds


def page_weight(questionnaire: Questionnaire) -> tuple[int, int, int]:
    department = questionnaire.departments[0].id
    with signed_in_clerk(questionnaire, "page") as client:
        batch = client.post(f"/workspace/d/{department}/entry/", {"channel": "paper"}).location
        html = client.get(batch).body
    return (
        len(gzip.compress(html)),
        len(gzip.compress(stylesheet()[1])),
        len(gzip.compress(script()[1])),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
    rows = rows_of(questionnaire, args.rows)
    xlsx = filled_xlsx(questionnaire, rows)
    gbk = filled_csv(questionnaire, rows)
    for name, data in (("import.xlsx", xlsx), ("import.csv", gbk)):
        times = [timed_upload(questionnaire, name, data, args.rows) for _ in range(args.runs)]
        median = statistics.median(times)
        print(
            f"{name}: {args.rows:,} rows, {len(data) / 1024:.0f} KiB: median {median:.2f} s, "
            f"worst {max(times):.2f} s (goal ≤ {GOAL_SECONDS:.0f} s: "
            f"{median / GOAL_SECONDS:.2f} of it)"
        )
    html, css, js = page_weight(questionnaire)
    total = html + css + js
    print(
        f"keying page gzipped: HTML {html / 1024:.1f} KiB + CSS {css / 1024:.1f} KiB + "
        f"script {js / 1024:.1f} KiB = {total / 1024:.1f} KiB"
    )


if __name__ == "__main__":
    main()
