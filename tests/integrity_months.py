"""Department-months built response by response for the integrity signals' tests: honest ones,
and the crafted patterns each signal is meant to catch (manyi.integrity)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from manyi.aggregate import Counts, MonthlyResult, Tally
from manyi.integrity import DepartmentInput, DepartmentSignals, month_context, month_signals
from manyi.model import Questionnaire
from manyi.submission import StoredSubmission, utc_timestamp
from manyi.traits import GROUPS, SHAPES, SLOT_HOURS, SPEED_EDGES, TraitCounter, Traits

MONTH = "2026-11"
SCALE = [f"q{n}" for n in range(9, 17)]
BEIJING = timedelta(hours=8)
CITY = ["d1", "d2", "d3", "d4", "d5"]
SELF = ("leaflet", "wechat")


class Month:
    """One department-month being built: responses, and the served count."""

    def __init__(self, department: str, seed: int) -> None:
        self.department = department
        self.rng = random.Random(seed)
        self.responses: list[StoredSubmission] = []
        self.served: int | None = None
        self.served_at_close: int | None = None
        self.served_changed_late = False

    def add(
        self,
        *,
        day: int | None = None,
        hour: int | None = None,
        minute: int | None = None,
        channel: str | None = None,
        top: bool | None = None,
        network: str | None = None,
        seconds: int | None = None,
        score_shift: float = 0.0,
    ) -> None:
        """One response; a staff channel's (keyed in the workspace) has no network and no time."""
        rng = self.rng
        day = day if day is not None else rng.randint(1, 27)
        hour = hour if hour is not None else rng.randint(8, 21)
        minute = minute if minute is not None else rng.randint(0, 59)
        channel = channel or rng.choice(["leaflet", "leaflet", "wechat", "wechat", "phone"])
        top = top if top is not None else rng.random() < 0.4 + score_shift
        answers: dict[str, str] = {"respondent": "person", "q2": "no"}
        for question in SCALE:
            if top:
                answers[question] = "satisfied"
            else:
                draw = rng.random() - score_shift
                answers[question] = (
                    "satisfied"
                    if draw < 0.45
                    else "basically_satisfied"
                    if draw < 0.8
                    else "dissatisfied"
                    if draw < 0.92
                    else "unknown"
                )
        beijing = datetime(2026, 11, day, hour, minute, rng.randint(0, 59), tzinfo=UTC)
        own = channel in SELF
        if seconds is None and own:
            seconds = rng.randint(50, 400)
        if network is None and own:
            network = f"{rng.getrandbits(64):016x}"
        self.responses.append(
            StoredSubmission(
                submission_id=f"{self.department}-{len(self.responses):05d}",
                department=self.department,
                month=MONTH,
                received_at=utc_timestamp(beijing - BEIJING),
                version="v1",
                channel=channel,
                answers=answers,
                network=network or "",
                seconds=seconds,
            )
        )

    def honest(self, n: int = 150) -> Month:
        for _ in range(n):
            self.add()
        self.served = round(n / 0.8)
        return self

    def counts(self, questionnaire: Questionnaire) -> Counts:
        return Tally(TraitCounter(questionnaire)).add_all(self.responses).counts()

    def input(self, questionnaire: Questionnaire) -> DepartmentInput:
        counts = self.counts(questionnaire)
        return DepartmentInput(
            self.department,
            counts,
            counts.responses / self.served if self.served else None,
            self.served_at_close,
            self.served if self.served_at_close is not None else None,
            self.served_changed_late,
        )


def largest_state(questionnaire: Questionnaire) -> MonthlyResult:
    """The largest state a department-month can have, however many responses it counts (they
    add digits, not keys): every key the counts can hold, every count at 9,999,999 (a month of
    ten million responses), in the report and late parts alike."""
    huge = 9_999_999
    channels = [c.id for c in questionnaire.channels]
    respondent = questionnaire.question("respondent")
    types = [o.id for o in respondent.options] if respondent is not None else []
    options = {q.id: {o.id: huge for o in q.options} for q in questionnaire.questions}
    answered = dict.fromkeys(options, huge)
    segment = Counts(huge, {}, {questionnaire.version: huge}, answered, options)
    traits = Traits(
        shapes={f"{c}:{s}": huge for c in channels for s in SHAPES},
        speeds={f"{c}:{edge}": huge for c in channels for edge in SPEED_EDGES},
        days={f"{day:02d}": huge for day in range(1, 32)},
        cells={
            f"{day:02d}{slot:02d}": (huge,) * (2 * GROUPS)
            for day in range(1, 32)
            for slot in range(24 // SLOT_HOURS)
        },
    )
    largest = Counts(
        huge,
        dict.fromkeys(channels, huge),
        {questionnaire.version: huge},
        answered,
        options,
        {f"{c}/{t}": segment for c in channels for t in ("", *types)},
        traits,
    )
    return MonthlyResult("sifaju", MONTH, largest, largest)


def city_with(questionnaire: Questionnaire, target: Month) -> dict[str, DepartmentSignals]:
    """The signals of a city of five honest departments and `target`."""
    city = [Month(d, seed).honest() for seed, d in enumerate(CITY)]
    return month_signals(
        month_context(questionnaire, MONTH),
        [m.input(questionnaire) for m in (*city, target)],
    )


# -- what each signal is meant to catch -------------------------------------------------------

Make = Callable[[Month], None]


def burst(m: Month) -> None:
    """One phone, 40 all-满意 responses in an evening."""
    for i in range(40):
        m.add(day=12, hour=19 + i // 14, minute=(i * 4) % 56, top=True, network="ab" * 8)


def clerk_batch(m: Month) -> None:
    """A clerk keys 100 perfect papers in one sitting (one batch: one time)."""
    for _ in range(100):
        m.add(day=20, hour=10, minute=5, channel="paper", top=True)


def staff_share(m: Month) -> None:
    for _ in range(450):
        m.add(channel="phone")
    m.served = round(len(m.responses) / 0.8)


def staff_favourable(m: Month) -> None:
    """Staff-keyed papers, all 满意: the staff share of 满意 some 20 points above the self one."""
    for _ in range(80):
        m.add(channel="paper", top=True)


def straight_lining(m: Month) -> None:
    m.responses = [r for r in m.responses if all(r.answers[q] == "satisfied" for q in SCALE)]
    for _ in range(150):
        m.add(top=True)


def speed(m: Month) -> None:
    for _ in range(40):
        m.add(channel="wechat", seconds=8)


def month_end_rush(m: Month) -> None:
    m.responses = [r for r in m.responses if int(r.received_at[8:10]) < 24][:100]
    for _ in range(88):
        m.add(day=m.rng.randint(25, 27))
    m.served = 200  # 188 / 200 = 94%: just above the 90% target


def served_changed(m: Month) -> None:
    m.served_at_close = m.served
    m.served = (m.served or 0) - 30


CRAFTED: dict[str, Make] = {
    "burst": burst,
    "staff_share": staff_share,
    "staff_favourable": staff_favourable,
    "straight_lining": straight_lining,
    "speed": speed,
    "month_end_rush": month_end_rush,
    "served_changed": served_changed,
}


def honest_twin(name: str, m: Month) -> None:
    """The same department-month with the same extra volume, honestly spread."""
    if name == "burst":
        # A 30-person meeting on the venue's Wi-Fi in 20 minutes: one network, mixed answers.
        for i in range(30):
            m.add(day=12, hour=15, minute=i * 2 // 3, network="cd" * 8, channel="leaflet")
    elif name == "staff_favourable":
        for _ in range(80):
            m.add(channel="paper")
    elif name == "speed":
        for _ in range(40):
            m.add(channel="wechat")
    elif name == "month_end_rush":
        m.served = 200
    elif name == "served_changed":
        m.served_at_close = m.served
