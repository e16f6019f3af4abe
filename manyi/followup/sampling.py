"""The monthly random draw of cases to follow up, by stratum, reproducible from its seed.

A pure function: the same cases, shares, cut-off and seed give the same draw, so the office can
redo any recorded draw and compare (`redraw`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from manyi.store.cases.base import STRATA, Case, Draw


def candidates(cases: Iterable[Case], max_age_days: int, as_of: date) -> list[Case]:
    """Cases not drawn yet and closed no more than `max_age_days` before `as_of`."""
    oldest = as_of - timedelta(days=max_age_days)
    return sorted(
        (c for c in cases if not c.drawn and oldest <= date.fromisoformat(c.closed_on) <= as_of),
        key=lambda c: c.case_id,
    )


def draw(pool: Iterable[Case], rates: Mapping[str, float], seed: int) -> list[str]:
    """The case IDs drawn: in each stratum, its share of the cases rounded up, at random."""
    # Reproducible by design: the seed is recorded, and anyone may redo the draw with it.
    rng = random.Random(seed)  # noqa: S311
    by_stratum: dict[str, list[str]] = {stratum: [] for stratum in STRATA}
    for case in pool:
        by_stratum[case.stratum].append(case.case_id)
    drawn: list[str] = []
    for stratum in STRATA:  # a fixed order: the generator's state depends on it
        ids = sorted(by_stratum[stratum])
        # Rounded up, so a share above 0 of a small stratum still draws a case; a small
        # tolerance keeps 0.4 × 10 at 4 despite binary fractions.
        count = min(len(ids), math.ceil(rates.get(stratum, 0.0) * len(ids) - 1e-9))
        drawn += rng.sample(ids, count)
    return sorted(drawn)


def redraw(recorded: Draw, cases: Iterable[Case]) -> list[str]:
    """A recorded draw done again from its own candidates, shares and seed."""
    wanted = set(recorded.candidates)
    pool = [c for c in cases if c.case_id in wanted]
    return draw(pool, recorded.rates, recorded.seed)
