"""How well the integrity signals separate gamed department-months from honest ones, simulated.

    python bench/integrity.py [--trials 50] [--departments 20] [--seed 5]

Each trial is one city-month of honest departments (answers, arrivals, channels and networks
drawn as described below); in a scenario's trials one department is gamed as the scenario
says. The signals (manyi.integrity) run through the aggregator's own counting (`Tally` with
its `TraitCounter`). Printed per scenario: how often the gamed department was flagged (and by
which signals), and over every honest department-month of every trial, how often one was
flagged, and by which signal. The thresholds in manyi/integrity.py were chosen on this table
(seeds 1-4); docs/integrity.md records it on seed 5.

Honest department-months:
- served subjects 60-600, and one department in ten 1,000-4,000; coverage 85-110% of them;
- answers: a department-level share of fully satisfied respondents (30-75%); the others answer
  each satisfaction question 满意 / 基本满意 / 不满意 / 不了解 with department-level weights;
- channels: a staff-entered share of 5-45% (phone, meeting, visit, paper), with staff answers
  up to 8 points more often fully satisfied than self-completed ones (the interviewer effect).
  Staff-entered papers are keyed in the workspace in batches of 5-40 of one channel, each
  stored at once when finished, on a working day within three days of being collected; they
  have no network and no filling time;
- arrivals: working days weigh three times weekends, 8:00-22:00, a third of departments with an
  honest push in the last week (half again as many per day);
- networks: most phones on one of 40 carrier prefixes per day shared by the whole city (CGNAT
  pools), a department's service hall Wi-Fi taking 15% of its self-completed responses, and in
  30% of months (of departments with more than 60 responses) a meeting of 30 people answering
  within 20 minutes on the venue's Wi-Fi, counted in the month's coverage;
- filling time: log-normal (median 150 s), 10% of pages without script (no time).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manyi.aggregate import Tally  # noqa: E402
from manyi.integrity import (  # noqa: E402
    DepartmentInput,
    SignalName,
    month_context,
    month_signals,
)
from manyi.loader import load_questionnaire  # noqa: E402
from manyi.model import Questionnaire  # noqa: E402
from manyi.submission import StoredSubmission, utc_timestamp  # noqa: E402
from manyi.traits import TraitCounter  # noqa: E402

MONTH = "2026-11"
YEAR, MONTH_NUMBER = 2026, 11
DAYS_IN_MONTH = 30
DAYS = range(1, DAYS_IN_MONTH + 1)
BEIJING = timedelta(hours=8)
SELF_CHANNELS = ("leaflet", "wechat")
STAFF_CHANNELS = ("phone", "meeting", "visit", "paper")
CARRIER_POOLS = 40
MEDIAN_SECONDS = 150
SCALE_ANSWERS = ("satisfied", "basically_satisfied", "dissatisfied", "unknown")


def weekday(day: int) -> bool:
    return datetime(YEAR, MONTH_NUMBER, day).weekday() < 5


@dataclass
class Department:
    """One department-month being drawn."""

    id: str
    rng: random.Random
    close_day: int
    served: int = 0
    all_top: float = 0.5
    weights: tuple[float, float, float, float] = (0.45, 0.35, 0.12, 0.08)
    staff_share: float = 0.2
    staff_lift: float = 0.0
    rush: bool = False
    responses: list[StoredSubmission] = field(default_factory=list)
    # Staff-entered papers collected, not yet keyed: (day collected, channel, top, lift).
    papers: list[tuple[int, str, bool | None, float | None]] = field(default_factory=list)
    _day_weights: list[float] = field(default_factory=list)

    @classmethod
    def honest(cls, id: str, rng: random.Random, close_day: int) -> Department:
        satisfied = rng.uniform(0.3, 0.55)
        basically = rng.uniform(0.25, 0.4)
        dissatisfied = rng.uniform(0.05, 0.15)
        unknown = max(1 - satisfied - basically - dissatisfied, 0.02)
        large = rng.random() < 0.1
        return cls(
            id,
            rng,
            close_day,
            served=rng.randint(1000, 4000) if large else rng.randint(60, 600),
            all_top=rng.uniform(0.3, 0.75),
            weights=(satisfied, basically, dissatisfied, unknown),
            staff_share=rng.uniform(0.05, 0.45),
            staff_lift=rng.uniform(0.0, 0.08),
            rush=rng.random() < 1 / 3,
        )

    def draw_month(self, coverage: float | None = None) -> None:
        """Responses for `coverage` of the served subjects (drawn when not given), a meeting's
        among them."""
        rng = self.rng
        n = round(self.served * (coverage or rng.uniform(0.85, 1.1)))
        meeting = rng.random() < 0.3 and n > 60
        hall = f"hall-{self.id}"  # the service hall's Wi-Fi prefix
        for _ in range(n - 30 if meeting else n):
            day = self.arrival_day()
            if rng.random() < self.staff_share:
                self.papers.append((day, rng.choice(STAFF_CHANNELS), None, None))
            else:
                prefix = hall if rng.random() < 0.15 else None
                self.add(day=day, channel=rng.choice(SELF_CHANNELS), prefix=prefix)
        if meeting:  # a 座谈会: 30 people within 20 minutes on the venue's Wi-Fi
            day, hour = rng.randint(1, self.close_day), rng.randint(9, 16)
            venue = f"venue-{self.id}"
            for _ in range(30):
                self.add(day=day, hour=hour, minute=rng.randint(0, 19), channel="leaflet",
                         prefix=venue)  # fmt: skip
        self.key_papers()

    def key_papers(self) -> None:
        """The clerks key the collected papers in batches of one channel (as the workspace's
        batches are), a few days later, on working days."""
        rng = self.rng
        self.papers.sort(key=lambda p: (p[1], p[0]))
        while self.papers:
            size = rng.randint(5, 40)
            channel = self.papers[0][1]
            same = [p for p in self.papers[:size] if p[1] == channel]
            batch, self.papers = same, self.papers[len(same) :]
            day = batch[-1][0] + rng.randint(0, 3)
            while day <= DAYS_IN_MONTH and not weekday(day):
                day += 1
            day = min(day, DAYS_IN_MONTH)
            hour, minute = rng.randint(9, 17), rng.randint(0, 59)
            for _, channel, top, lift in batch:
                self.add(day=day, hour=hour, minute=minute, channel=channel, top=top, lift=lift)

    def arrival_day(self) -> int:
        if not self._day_weights:
            for day in DAYS:
                w = 3.0 if weekday(day) else 1.0
                if self.rush and self.close_day - 7 < day <= self.close_day:
                    w *= 1.5
                # After the close day responses still come, fewer: they count as late.
                self._day_weights.append(w if day <= self.close_day else w * 0.2)
        return self.rng.choices(DAYS, self._day_weights)[0]

    def add(
        self,
        *,
        day: int,
        channel: str,
        hour: int | None = None,
        minute: int | None = None,
        prefix: str | None = None,
        top: bool | None = None,
        seconds: int | str | None = "draw",
        lift: float | None = None,
    ) -> None:
        rng = self.rng
        hour = hour if hour is not None else rng.randint(8, 21)
        minute = minute if minute is not None else rng.randint(0, 59)
        staff = channel in STAFF_CHANNELS
        if lift is None:
            lift = self.staff_lift if staff else 0.0
        if top is None:
            top = rng.random() < min(self.all_top + lift, 1.0)
        answers = {"respondent": "person", "q2": "no"}
        for n in range(9, 17):
            if top:
                answers[f"q{n}"] = "satisfied"
            else:
                weights = list(self.weights)
                weights[0] = max(weights[0] + lift, 0.01)
                answers[f"q{n}"] = rng.choices(SCALE_ANSWERS, weights)[0]
        if seconds == "draw":
            seconds = None if staff else self.filling_time()
        moment = datetime(YEAR, MONTH_NUMBER, day, hour, minute, rng.randint(0, 59), tzinfo=UTC)
        network = ""
        if not staff:  # keyed in the workspace: no network
            network = day_hash(prefix or f"carrier-{rng.randrange(CARRIER_POOLS)}", day)
        self.responses.append(
            StoredSubmission(
                submission_id=f"{self.id}-{len(self.responses)}",
                department=self.id,
                month=MONTH,
                received_at=utc_timestamp(moment - BEIJING),
                version="sim",
                channel=channel,
                answers=answers,
                network=network,
                seconds=seconds if isinstance(seconds, int) or seconds is None else None,
            )
        )

    def filling_time(self) -> int | None:
        rng = self.rng
        if rng.random() < 0.1:
            return None  # JavaScript off
        return max(1, round(math.exp(rng.gauss(math.log(MEDIAN_SECONDS), 0.5))))

    @property
    def coverage(self) -> float:
        counted = sum(1 for r in self.responses if _office_day(r) <= self.close_day)
        return counted / self.served if self.served else 0.0


def day_hash(prefix: str, day: int) -> str:
    """What the collector stores: a day's keyed hash of the prefix (a new key each day)."""
    return hashlib.sha256(f"{day}|{prefix}".encode()).hexdigest()[:16]


def _office_day(response: StoredSubmission) -> int:
    moment = datetime.fromisoformat(response.received_at.replace("Z", "+00:00")) + BEIJING
    return moment.day


# -- manipulation scenarios -------------------------------------------------------------------


def phone_forty(d: Department) -> None:
    """One phone submits 40 all-满意 responses in an evening."""
    day = d.rng.randint(1, d.close_day)
    phone = f"phone-{d.id}"
    for _ in range(40):
        hour = d.rng.randint(19, 22)
        seconds = max(5, round(d.rng.gauss(35, 10)))
        d.add(day=day, hour=hour, channel=d.rng.choice(SELF_CHANNELS), prefix=phone, top=True,
              seconds=seconds)  # fmt: skip


def clerk_hundred(d: Department) -> None:
    """A clerk keys 100 perfect paper questionnaires in 30 minutes: four batches of 25, each
    stored when finished."""
    day, hour = d.rng.randint(1, d.close_day), d.rng.randint(9, 16)
    for i in range(100):
        d.add(day=day, hour=hour, minute=10 * (i // 25), channel="paper", top=True)


def month_end_rush(d: Department) -> None:
    """Behind target before the close, the department pushes to just over 90% in its last days."""
    target = d.rng.uniform(0.9, 0.93)
    before = d.rng.uniform(0.55, 0.75)
    d.responses.clear()
    d.draw_month(coverage=before)
    counted = sum(1 for r in d.responses if _office_day(r) <= d.close_day)
    extra = math.ceil(d.served * target) - counted
    for _ in range(max(extra, 0)):
        day = d.rng.randint(d.close_day - 2, d.close_day)
        if d.rng.random() < d.staff_share:
            d.add(day=day, hour=d.rng.randint(9, 17), channel=d.rng.choice(STAFF_CHANNELS))
        else:
            d.add(day=day, channel=d.rng.choice(SELF_CHANNELS))


def staff_twenty(d: Department) -> None:
    """Staff-entered answers 20 points more often 满意 than the department's self-completed."""
    d.staff_share = d.rng.uniform(0.25, 0.5)
    d.responses.clear()
    d.draw_month()
    own = [r for r in d.responses if r.channel in SELF_CHANNELS]
    goal = min(_top_share(own) + 0.20, 0.99)
    # Redraw the staff ones until their 满意 share sits 20 points above the self share.
    staff = [r for r in d.responses if r.channel in STAFF_CHANNELS]
    d.responses = own
    for r in staff:
        top = d.rng.random() < goal
        d.papers.append((_office_day(r), r.channel, True if top else None, 0.0 if top else -0.2))
    d.key_papers()


def _top_share(responses: Sequence[StoredSubmission]) -> float:
    answers = [
        a for r in responses for q, a in r.answers.items() if q.startswith("q") and q != "q2"
    ]
    scored = [a for a in answers if a != "unknown"]
    return sum(1 for a in scored if a == "satisfied") / len(scored) if scored else 0.0


SCENARIOS: dict[str, Callable[[Department], None]] = {
    "one phone, 40 all-满意 in an evening": phone_forty,
    "clerk keys 100 perfect papers in 30 min": clerk_hundred,
    "month-end rush to just over 90%": month_end_rush,
    "staff answers 20 points above self": staff_twenty,
}
# The signal each scenario is meant to fire (what --explain shows of a miss).
GOALS: dict[str, SignalName] = dict(
    zip(SCENARIOS, ("burst", "burst", "month_end_rush", "staff_favourable"), strict=True)
)


# -- a trial ----------------------------------------------------------------------------------


def city_month(
    questionnaire: Questionnaire,
    rng: random.Random,
    departments: int,
    scenario: Callable[[Department], None] | None,
    explain: bool = False,
    explain_goal: SignalName | None = None,
) -> tuple[dict[str, tuple[str, ...]], str | None, dict[str, Department]]:
    """Which signals fired for each department of one simulated city-month; the gamed one."""
    close_day = questionnaire.reporting.close_day
    drawn = []
    for n in range(departments):
        d = Department.honest(f"d{n:02d}", rng, close_day)
        d.draw_month()
        drawn.append(d)
    gamed = None
    if scenario is not None:
        target = drawn[0]
        scenario(target)
        gamed = target.id
    counter = TraitCounter(questionnaire)
    inputs = []
    for d in drawn:
        counts = Tally(counter).add_all(d.responses).counts()
        inputs.append(DepartmentInput(d.id, counts, d.coverage))
    signals = month_signals(month_context(questionnaire, MONTH), inputs)
    fired: dict[str, tuple[str, ...]] = {
        k: tuple(s.name for s in v.fired) for k, v in signals.items()
    }
    if explain:
        for d in drawn:
            found = signals[d.id]
            if d.id == gamed and not found.flagged and explain_goal:
                print(f"  missed: {_about(d)} {found.signal(explain_goal).to_dict()}")
            elif d.id != gamed and found.flagged:
                for s in found.fired:
                    print(f"  honest flagged: {_about(d)} {s.name} {s.to_dict()}")
    return fired, gamed, {d.id: d for d in drawn}


def _about(d: Department) -> str:
    return (
        f"served {d.served}, coverage {d.coverage:.3f}, all-满意 {d.all_top:.2f}, "
        f"staff {d.staff_share:.2f} (+{d.staff_lift:.2f}), push {d.rush}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=50, help="city-months per scenario")
    parser.add_argument("--departments", type=int, default=20, help="departments per city")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--only", help="run only the scenarios whose name contains this (and no honest city)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print each miss and each flagged honest month"
    )
    args = parser.parse_args(argv)
    questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    honest_months = honest_flagged = 0
    honest_by: Counter[str] = Counter()
    large_months = large_flagged = 0
    rows = []
    runs = [("(honest city)", None), *SCENARIOS.items()]
    if args.only:
        runs = [(n, s) for n, s in SCENARIOS.items() if args.only in n]
    for name, scenario in runs:
        detected = 0
        by: Counter[str] = Counter()
        for _ in range(args.trials):
            fired, gamed, drawn = city_month(
                questionnaire, rng, args.departments, scenario, args.explain, GOALS.get(name)
            )
            for department, names in fired.items():
                if department == gamed:
                    detected += bool(names)
                    by.update(names)
                    continue
                honest_months += 1
                honest_flagged += bool(names)
                honest_by.update(names)
                if drawn[department].served >= 1000:
                    large_months += 1
                    large_flagged += bool(names)
        if scenario is not None:
            rows.append((name, detected / args.trials, by))
    print(f"{args.trials} trials per scenario, {args.departments} departments per city-month,"
          f" seed {args.seed}\n")  # fmt: skip
    print(f"{'scenario':44} {'detected':>9}  signals that fired (trials)")
    for name, rate, by in rows:
        which = ", ".join(f"{k} {v}" for k, v in by.most_common())
        print(f"{name:44} {rate:9.1%}  {which}")
    fp = honest_flagged / honest_months if honest_months else 0.0
    print(f"\nhonest department-months: {honest_months}, flagged: {honest_flagged} ({fp:.2%})")
    if large_months:
        print(f"  of them with 1,000+ served: {large_months}, flagged: {large_flagged}")
    if honest_by:
        print(
            "false positives by signal: "
            + ", ".join(f"{k} {v}" for k, v in honest_by.most_common())
        )
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
