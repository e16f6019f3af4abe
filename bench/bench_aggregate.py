"""Aggregating a million submissions from SQLite: time against merely reading them, peak memory,
DuckDB on the same file for comparison, and an incremental run after 1% more.

    python bench/bench_aggregate.py [--n 1000000] [--regenerate]

The synthetic store is written once to bench/out/ with the submission store's own schema and
row format (manyi.store.submissions.sqlite), then every measurement runs in a fresh process so
that each peak RSS is its own. DuckDB (bench-only: pip install duckdb==1.5.5
duckdb-extension-sqlite-scanner) loads its SQLite extension from the wheel's file, offline.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manyi.aggregate import Counts  # noqa: E402
from manyi.calendar import OfficeCalendar  # noqa: E402
from manyi.loader import load_questionnaire  # noqa: E402
from manyi.model import Questionnaire  # noqa: E402
from manyi.results.run import Aggregator  # noqa: E402
from manyi.store.results.sqlite import SqliteResultsStore  # noqa: E402
from manyi.store.sqlite_schema import migrate  # noqa: E402
from manyi.store.submissions import sqlite as submission_sqlite  # noqa: E402
from manyi.store.submissions.base import partition_key, sort_key  # noqa: E402
from manyi.submission import StoredSubmission, utc_timestamp  # noqa: E402

OUT = ROOT / "bench" / "out"
MONTH = "2026-11"
START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 08:00 on 1 November, Beijing
SPAN = timedelta(days=20)
NOW = START + SPAN + timedelta(hours=1)
LATER = NOW + timedelta(days=1)
DISTINCT_ANSWER_SETS = 20_000


def questionnaire() -> Questionnaire:
    return load_questionnaire(ROOT / "questionnaire.yaml")


def answer_pool(q: Questionnaire, rnd: random.Random) -> list[dict[str, object]]:
    from tests.results_data import random_answers

    return [dict(random_answers(q, rnd)) for _ in range(DISTINCT_ANSWER_SETS)]


def write_submissions(path: Path, n: int, *, first: int, start: datetime, span: timedelta) -> None:
    """n submissions spread over the departments and `span`, in the store's own row format."""
    q = questionnaire()
    rnd = random.Random(first)
    pool = answer_pool(q, rnd)
    departments = [d.id for d in q.departments]
    channels = [c.id for c in q.channels]
    # Self-completed responses carry a network hash and a filling time (the integrity
    # signals'); staff-entered ones, keyed in the workspace, neither.
    keyed = {c.id for c in q.channels if c.entry == "staff"}
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, path, submission_sqlite.SCHEMA)
    db.isolation_level = "DEFERRED"  # back to implicit transactions for the batches below
    step = span / n
    calendar = OfficeCalendar.of(q.reporting)
    batch: list[StoredSubmission] = []

    def flush() -> None:
        db.executemany(
            submission_sqlite.INSERT_ID,
            [(s.submission_id, partition_key(s.department, s.month), sort_key(s)) for s in batch],
        )
        db.executemany(
            submission_sqlite.INSERT_RESPONSE,
            [
                (partition_key(s.department, s.month), sort_key(s), *submission_sqlite._row(s))
                for s in batch
            ],
        )
        batch.clear()

    for i in range(first, first + n):
        received = start + step * (i - first)
        answers = pool[rnd.randrange(len(pool))]
        channel = channels[rnd.randrange(len(channels))]
        batch.append(
            StoredSubmission(
                submission_id=f"bench-{i:09d}",
                department=departments[rnd.randrange(len(departments))],
                month=calendar.month(received),
                received_at=utc_timestamp(received),
                version=q.version,
                channel=channel,
                answers=answers,  # type: ignore[arg-type]
                network="" if channel in keyed else f"{rnd.getrandbits(64):016x}",
                seconds=None if channel in keyed else rnd.randint(20, 900),
            )
        )
        if len(batch) == 10_000:
            flush()
    flush()
    db.commit()
    db.close()


# -- the measured phases, each in its own process -----------------------------------------------


class Clock:
    """Wall time and this process's CPU time (all threads): on a shared, busy machine the CPU
    time is the steadier figure, so the ratios below use it."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def stop(self) -> dict[str, float]:
        return {
            "seconds": time.perf_counter() - self.wall,
            "cpu_seconds": time.process_time() - self.cpu,
        }


def phase_read(db: Path) -> dict[str, object]:
    store = submission_sqlite.SQLiteSubmissionStore(db)
    clock = Clock()
    n = 0
    for department in questionnaire().departments:
        for _sort_key, _submission in store.department_month(department.id, MONTH):
            n += 1
    return {**clock.stop(), "submissions": n}


def phase_aggregate(db: Path, results: Path, now: datetime) -> dict[str, object]:
    q = questionnaire()
    store = submission_sqlite.SQLiteSubmissionStore(db)
    state = SqliteResultsStore(results)
    clock = Clock()
    report = Aggregator(q, store, state).run(now, [MONTH])
    measured = clock.stop()
    total = sum((s.result.counts for s in state.month_states(MONTH)), Counts())
    return {**measured, "submissions": report.read, "counted": total.responses}


def phase_duckdb(db: Path) -> dict[str, object]:
    import duckdb
    import duckdb_extension_sqlite_scanner

    extension = next(
        Path(duckdb_extension_sqlite_scanner.__file__).parent.glob(
            "extensions/*/sqlite_scanner.duckdb_extension"
        )
    )
    con = duckdb.connect()
    con.execute(f"LOAD '{extension}'")
    clock = Clock()
    rows = con.execute(
        """
        WITH pairs AS (
            SELECT r.department, j.key AS question, j.value AS v, j.type AS t
            FROM sqlite_scan(?, 'responses') AS r, json_each(r.answers) AS j
        )
        SELECT department, question, option, count(*) AS n FROM (
            SELECT department, question, v ->> '$' AS option FROM pairs WHERE t = 'VARCHAR'
            UNION ALL
            SELECT department, question, unnest(from_json(v, '["VARCHAR"]')) AS option
            FROM pairs WHERE t = 'ARRAY'
        ) GROUP BY ALL
        """,
        [str(db)],
    ).fetchall()
    return {**clock.stop(), "cells": {f"{d}|{q}|{o}": n for d, q, o, n in rows}}


def our_cells(results: Path) -> dict[str, int]:
    """department|question|option → count, as the aggregator stored them."""
    state = SqliteResultsStore(results)
    return {
        f"{s.department}|{question}|{option}": n
        for s in state.month_states(MONTH)
        for question, options in s.result.counts.options.items()
        for option, n in options.items()
    }


def run_phase(*args: str) -> dict[str, object]:
    """Run one phase in a fresh interpreter; its JSON result plus its peak RSS."""
    done = subprocess.run(
        [sys.executable, __file__, "--phase", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def phase_main(args: argparse.Namespace) -> None:
    name, *rest = args.phase
    if name == "read":
        result = phase_read(Path(rest[0]))
    elif name == "aggregate":
        result = phase_aggregate(Path(rest[0]), Path(rest[1]), datetime.fromisoformat(rest[2]))
    elif name == "duckdb":
        result = phase_duckdb(Path(rest[0]))
    else:
        raise SystemExit(f"unknown phase {name}")
    # ru_maxrss is in KiB on Linux.
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="read/aggregate rounds (best kept)")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase_main(args)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    base = OUT / f"submissions-{args.n}.sqlite3"
    if args.regenerate or not base.exists():
        base.unlink(missing_ok=True)
        started = time.perf_counter()
        write_submissions(base, args.n, first=0, start=START, span=SPAN)
        print(f"wrote {args.n:,} synthetic submissions to {base} in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    results = OUT / "results.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{results}{suffix}").unlink(missing_ok=True)

    run_phase("read", str(base))  # warm the page cache, so that no phase pays for the disk
    # Read and aggregate alternate, and each keeps its best round: the machine is shared, and
    # a neighbour's burst should not decide the ratio.
    reads, fulls = [], []
    for _ in range(args.rounds):
        reads.append(run_phase("read", str(base)))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{results}{suffix}").unlink(missing_ok=True)
        fulls.append(run_phase("aggregate", str(base), str(results), NOW.isoformat()))
    read = min(reads, key=lambda r: float(r["cpu_seconds"]))  # type: ignore[arg-type]
    full = min(fulls, key=lambda r: float(r["cpu_seconds"]))  # type: ignore[arg-type]
    duck = run_phase("duckdb", str(base))
    ours = our_cells(results)

    # 1% more, received after the first run, in a copy of the store.
    grown = OUT / "grown.sqlite3"
    shutil.copyfile(base, grown)
    extra = max(args.n // 100, 1)
    write_submissions(grown, extra, first=args.n, start=NOW, span=timedelta(hours=12))
    incremental = run_phase("aggregate", str(grown), str(results), LATER.isoformat())
    grown.unlink()

    def row(name: str, r: dict[str, object]) -> str:
        wall, cpu, rss = (float(r[k]) for k in ("seconds", "cpu_seconds", "peak_rss_mb"))  # type: ignore[arg-type]
        return f"  {name:<34} {wall:8.2f} s wall {cpu:8.2f} s CPU   peak RSS {rss:6.0f} MB"

    def cpu(r: dict[str, object]) -> float:
        return float(r["cpu_seconds"])  # type: ignore[arg-type]

    print(f"\n{args.n:,} submissions, {MONTH}, {len(questionnaire().departments)} departments"
          f" (read and aggregate: best of {args.rounds} alternating rounds)")  # fmt: skip
    print(row("read them (SubmissionStore)", read))
    print(row("aggregate them (full run)", full))
    print(row("DuckDB per-question counts", duck))
    print(row(f"incremental run after +{extra:,}", incremental))
    ratio = cpu(full) / cpu(read)
    share = cpu(incremental) / cpu(full)
    print(f"\n  aggregate / read      = {ratio:.2f}x CPU   (target <= 1.5x)")
    print(f"  aggregate peak RSS    = {full['peak_rss_mb']:.0f} MB   (target <= 200 MB)")
    print(f"  incremental / full    = {share:.2%} CPU   (target <= 3%)")
    print(f"  DuckDB / aggregate    = {cpu(duck) / cpu(full):.2f}x CPU, "
          f"{float(duck['seconds']) / float(full['seconds']):.2f}x wall")  # type: ignore[arg-type]  # fmt: skip
    print(f"  counted {full['counted']:,} of {read['submissions']:,} read; incremental read "
          f"{incremental['submissions']:,}")  # fmt: skip
    agree = "agree exactly" if duck["cells"] == ours else "DISAGREE"
    print(f"  per-question option counts ({len(ours):,} cells): ours and DuckDB's {agree}")


if __name__ == "__main__":
    main()
