"""The score of `make mutation`: mutants detected per module, and whether the run meets its target.

Reads mutmut's own listing on stdin (`mutmut results --all true | python3 scripts/...`), so
it scores whatever the last `mutmut run` left in mutants/. A mutant is detected when a test
failed (killed) or hung (timeout); one that survives or that no test reaches is not.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict

DETECTED = ("killed", "timeout")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.97, help="least share detected")
    args = parser.parse_args()
    by_module: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for line in sys.stdin:
        name, colon, status = line.strip().rpartition(": ")
        if colon:
            # manyi.figures.x_rank__mutmut_3, manyi.aggregate.xǁCountsǁ__add____mutmut_28
            by_module[name.rsplit(".", 1)[0]][status] += 1
    if not by_module:
        print("mutation score: no mutants listed; run `mutmut run` first", file=sys.stderr)
        return 1
    total = Counter[str]()
    for module, statuses in sorted(by_module.items()):
        print(_line(module, statuses))
        total += statuses
    print(_line("all", total))
    score = _detected(total) / total.total()
    if score < args.target:
        print(f"mutation score {score:.1%} is below the target {args.target:.0%}", file=sys.stderr)
        return 1
    return 0


def _detected(statuses: Counter[str]) -> int:
    return sum(statuses[s] for s in DETECTED)


def _line(module: str, statuses: Counter[str]) -> str:
    n = statuses.total()
    line = f"{module:20} {_detected(statuses)}/{n} detected ({_detected(statuses) / n:.1%})"
    rest = ", ".join(f"{statuses[s]} {s}" for s in sorted(statuses) if s != "killed")
    return f"{line}; {rest}" if rest else line


if __name__ == "__main__":
    sys.exit(main())
