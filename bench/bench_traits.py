"""What the integrity traits cost the aggregator: counting time and a department-month's state.

    python bench/bench_traits.py [--n 200000] [--rounds 5] [--against ../main]

Counting, two ways, CPU time per response, best of the rounds: in-process, the aggregator's hot
loop (`Tally`) over n synthetic responses of one department-month (self-completed ones with a
network hash and a filling time, staff-entered ones without); end to end, a whole aggregator run
(`Aggregator.run`) over the same responses stored in the checkout's own SQLite store (reading,
counting, writing the state). With `--against`, another checkout of manyi (e.g. an export of
the main branch, without the traits) does the same in alternating rounds, each in a fresh
interpreter, and the ratios are printed.

State: the bytes of the department-month's state as the DynamoDB results store writes it (one
item, limit 400 KB): for those n responses, and the largest any department-month can have
(every key the counts can hold, every count at 9,999,999; see tests/unit/test_integrity.py).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2026-11"
START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 1 November, 00:00 in Beijing


def responses(root: Path, n: int) -> list[Any]:
    """n responses over November, in sort key order, as `root`'s manyi stores them."""
    from manyi.loader import load_questionnaire
    from manyi.submission import StoredSubmission, utc_timestamp
    from tests.results_data import random_answers

    q = load_questionnaire(root / "questionnaire.yaml")
    rnd = random.Random(1)
    pool = [random_answers(q, rnd) for _ in range(5000)]
    staff = [c.id for c in q.channels if getattr(c, "entry", "self") == "staff"]
    own = [c.id for c in q.channels if c.id not in staff]
    facts = "network" in StoredSubmission._fields  # main's responses keep neither
    made = []
    step = timedelta(days=29) / n
    for i in range(n):
        keyed = rnd.random() < 0.3
        extra: dict[str, Any] = {}
        if facts and not keyed:
            extra = {"network": f"{rnd.getrandbits(64):016x}", "seconds": rnd.randint(20, 900)}
        made.append(
            StoredSubmission(
                f"bench-{i:08d}", "sifaju", MONTH, utc_timestamp(START + step * i), q.version,
                rnd.choice(staff if keyed else own), pool[rnd.randrange(len(pool))], **extra,
            )
        )  # fmt: skip
    return made


def phase_count(root: Path, n: int, rounds: int) -> dict[str, Any]:
    """Count in this interpreter with `root`'s manyi: µs of CPU per response, state bytes."""
    from manyi.aggregate import MonthlyResult, Tally
    from manyi.loader import load_questionnaire
    from manyi.store.records import dumps  # as the DynamoDB results store writes a state

    q = load_questionnaire(root / "questionnaire.yaml")
    try:
        from manyi.traits import TraitCounter

        counter: Any = TraitCounter(q)
    except ImportError:  # a checkout without the integrity traits
        counter = None
    items = [(s.received_at, s) for s in responses(root, n)]
    best = float("inf")
    result = None
    for _ in range(rounds):
        started = time.process_time()
        tally = Tally(counter) if counter is not None else Tally()
        tally.add_until(iter(items), "\uffff")
        counts = tally.counts()
        best = min(best, time.process_time() - started)
        result = MonthlyResult("sifaju", MONTH, counts)
    assert result is not None
    return {
        "us_per_response": best / n * 1e6,
        "state_bytes": len(dumps(result.to_dict()).encode()),
        "traits": counter is not None,
    }


def phase_run(root: Path, n: int, rounds: int) -> dict[str, Any]:
    """A whole aggregator run with `root`'s manyi over its own SQLite store: µs of CPU per
    response, best of the rounds (each into a new results file)."""
    import tempfile

    from manyi.loader import load_questionnaire
    from manyi.results.run import Aggregator
    from manyi.store.results.sqlite import SqliteResultsStore
    from manyi.store.submissions.sqlite import SQLiteSubmissionStore

    q = load_questionnaire(root / "questionnaire.yaml")
    best = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteSubmissionStore(Path(folder) / "submissions.sqlite3")
        store.put_many(responses(root, n))
        for round_ in range(rounds):
            results = SqliteResultsStore(Path(folder) / f"results-{round_}.sqlite3")
            started = time.process_time()
            Aggregator(q, store, results).run(START + timedelta(days=31), [MONTH])
            best = min(best, time.process_time() - started)
            results.close()
        store.close()
    return {"us_per_response": best / n * 1e6}


def largest_state(root: Path) -> int:
    """The bytes of the largest state a department-month can have (counts and late alike)."""
    from manyi.loader import load_questionnaire
    from manyi.store.records import dumps  # as the DynamoDB results store writes a state
    from tests.integrity_months import largest_state as largest

    state = largest(load_questionnaire(root / "questionnaire.yaml"))
    return len(dumps(state.to_dict()).encode())


def run_phase(root: Path, n: int, rounds: int, what: str = "count") -> dict[str, Any]:
    """`phase_count` (or `phase_run`) in a fresh interpreter that imports manyi from `root`."""
    command = [sys.executable, __file__, "--phase", str(root), "--n", str(n)]
    done = subprocess.run(
        [*command, "--rounds", str(rounds), "--what", what],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="responses of the department-month")
    parser.add_argument("--rounds", type=int, default=5, help="best of this many, per checkout")
    parser.add_argument("--against", type=Path, help="another checkout of manyi to compare with")
    parser.add_argument("--phase", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--what", default="count", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        sys.path.insert(0, str(args.phase))
        # Only that checkout's modules: an editable install's finder would fill in modules it
        # lacks (manyi.traits, say) from the installed checkout.
        sys.meta_path[:] = [
            f for f in sys.meta_path if "Editable" not in getattr(f, "__name__", "")
        ]
        phase = phase_count if args.what == "count" else phase_run
        print(json.dumps(phase(args.phase, args.n, args.rounds)))
        return
    sys.path.insert(0, str(ROOT))
    print(f"{args.n:,} responses of one department-month, best of {args.rounds} rounds (CPU)")
    for what, label in (("count", "in-process count"), ("run", "aggregator run")):
        ours, theirs = [], []
        # Alternating, one round each, best kept: the machine is shared.
        for _ in range(args.rounds):
            ours.append(run_phase(ROOT, args.n, 1, what))
            if args.against:
                theirs.append(run_phase(args.against.resolve(), args.n, 1, what))
        mine = min(ours, key=lambda r: float(r["us_per_response"]))
        line = f"  {label:<17} this checkout {mine['us_per_response']:5.2f} µs/response"
        if "state_bytes" in mine:
            line += f", state {mine['state_bytes']:,} bytes"
        print(line)
        if theirs:
            other = min(theirs, key=lambda r: float(r["us_per_response"]))
            ratio = mine["us_per_response"] / other["us_per_response"]
            line = f"  {'':<17} {args.against!s} {other['us_per_response']:5.2f} µs/response"
            if "state_bytes" in other:
                line += f", state {other['state_bytes']:,} bytes"
            print(f"{line}: {ratio:.2f}x (target <= 1.5x)")
    print(f"  largest possible state: {largest_state(ROOT):,} bytes (bound 163,840; "
          "DynamoDB's item limit 409,600)")  # fmt: skip


if __name__ == "__main__":
    main()
