"""Integrity signals: which department-months look gamed, each against the city's same month.

A department surveys its own served subjects and is ranked on the result, so it has a reason
to inflate it. No single figure proves that; several together show where the office should
look (docs/integrity.md gives every threshold and why). Flags never delete or down-weight a
response: they are shown beside the figures, with the office's review and the department's
explanation.

Pure: `month_signals` reads each department's counts for the month (its answers by channel,
`Counts.segments`, and the traits the aggregator counted beside them, manyi.traits) and says,
per department, which signals fired and by how much.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from manyi.aggregate import Counts, segment_parts
from manyi.messages import SignalCode
from manyi.model import Questionnaire
from manyi.traits import FLAT, GROUPS, SPEED_EDGES, STAFF_GROUP, TOP, TraitCounter

# Their names (and words, manyi.messages.SIGNAL).
SignalName = SignalCode
SIGNALS: tuple[SignalName, ...] = get_args(SignalCode)

# -- thresholds (docs/integrity.md says why each is what it is; bench/integrity.py calibrates) --

# Rates mean nothing on a handful of responses: below this a rate signal stays silent.
MIN_RESPONSES = 30
# A rate signal also needs its figure to be clearly above the city: this improbable if the
# department's true rate were the city's plus half the signal's margin (a one-sided binomial
# test), so that a small department's chance swing does not fire it.
RATE_P = 1e-3
# Bursts: responses of one group (one network bucket, or staff entry) within this many
# three-hour slots of one office day (six hours: an evening)...
BURST_SLOTS = 2
BURST_MIN = 15
# ...whose all-满意 count is this improbable given the department's other responses, once
# multiplied by the number of day-groups that had as many responses (so that a large
# department, with many such groups, is not flagged by chance)...
BURST_P = 1e-4
# ...taking those others' all-满意 share as at most this (a department whose every respondent
# is fully satisfied cannot make a one-network flood look ordinary)...
BURST_P_CAP = 0.75
# ...and, for staff-entered batches, this much higher, at most the second cap: staff-entered
# answers are somewhat more favourable everywhere (the interviewer effect), and an honest
# import of a month's phone interviews is one large batch.
BURST_STAFF_LIFT = 0.10
BURST_STAFF_CAP = 0.85
# Staff-entered share: this far above the city's median department and this high at least.
STAFF_SHARE_ABOVE_CITY = 0.35
STAFF_SHARE_MIN = 0.7
# Staff answers more favourable than the same department's self-completed ones: the share of
# 满意 among their scored answers this many percentage points above the self-completed share,
# beyond the city's usual gap, with at least this many responses of each, and clearly so.
STAFF_GAP_POINTS = 8.0
STAFF_GAP_MIN_EACH = 15
STAFF_GAP_Z = 2.0
# Straight-lining: the share of responses giving one answer to every satisfaction question.
STRAIGHT_SHARE_MIN = 0.9
STRAIGHT_ABOVE_CITY = 0.2
# Speed: a response faster than this fraction of the city's median time for its channel...
FAST_FRACTION = 1 / 3
# ...and a department with this many such responses, this share above the city's.
FAST_MIN = 10
FAST_ABOVE_CITY = 0.25
# End of month: the share of the month's self-completed responses in the last days up to the
# close day (staff-entered papers are keyed in batches, often days after they were collected:
# their timing says when a clerk sat down, not when people answered), each network bucket's
# three hours counting at most this many, or this many times the department's usual count
# there if more (a meeting on the venue's Wi-Fi is one event, not 30 people choosing to answer
# late; a large department's busy hours are not)...
RUSH_DAYS = 3
RUSH_CELL_CAP = 5
RUSH_CELL_TIMES = 4
RUSH_ABOVE_CITY = 0.06
RUSH_ALONE = 0.5  # fires on its own at this share
# ...with coverage landing just above the target (within this margin). That is a second cue,
# so the share then needs to be clearly above the city only at this level, not at RATE_P.
COVERAGE_MARGIN = 0.05
RUSH_P_JUST_OVER = 0.01

# -- the signals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    name: SignalName
    fired: bool
    value: float | None  # the department's figure
    city: float | None  # the city's figure it is compared with
    threshold: float | None  # the value at which it fires, for this department and month
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def by(self) -> float | None:
        """How far past its threshold the figure is (negative: below it)."""
        if self.value is None or self.threshold is None:
            return None
        return self.value - self.threshold

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "fired": self.fired,
            "value": r(self.value),
            "city": r(self.city),
            "threshold": r(self.threshold),
            "by": r(self.by),
            **dict(self.detail),
        }


@dataclass(frozen=True)
class DepartmentSignals:
    department: str
    month: str
    signals: tuple[Signal, ...]

    @property
    def fired(self) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if s.fired)

    @property
    def flagged(self) -> bool:
        return bool(self.fired)

    def signal(self, name: SignalName) -> Signal:
        return next(s for s in self.signals if s.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "fired": [s.name for s in self.fired],
            **{s.name: s.to_dict() for s in self.signals},
        }


@dataclass(frozen=True)
class DepartmentInput:
    """What the signals read of one department-month: its report's counts, and its coverage
    and served counts as the figures give them."""

    department: str
    counts: Counts
    coverage: float | None = None
    served_at_close: int | None = None  # None: not closed, or no served count at the close
    served_now: int | None = None
    # Set or changed after the 20th, before any close (manyi.reports.view.served_changed_late).
    served_changed_late: bool = False


@dataclass(frozen=True)
class MonthContext:
    month: str
    close_day: int
    coverage_target: float
    entries: Mapping[str, str]  # channel ID → "self" | "staff"
    # satisfaction question ID → option ID → score (满意 100, 基本满意 80, 不满意 0)
    scale: Mapping[str, Mapping[str, int]]
    top_score: int = 100  # the score of the scale's best answer (满意)


def month_context(questionnaire: Questionnaire, month: str) -> MonthContext:
    counter = TraitCounter(questionnaire)
    return MonthContext(
        month,
        questionnaire.reporting.close_day,
        questionnaire.reporting.coverage_target,
        {c.id: c.entry for c in questionnaire.channels},
        counter.scores,
        counter.top,
    )


def month_signals(
    context: MonthContext, departments: Sequence[DepartmentInput]
) -> dict[str, DepartmentSignals]:
    """Every department's signals, each figure compared with the city's departments."""
    profiles = [_Profile.of(context, d) for d in departments]
    city = _City.of(context, profiles)
    return {
        p.input.department: DepartmentSignals(
            p.input.department,
            context.month,
            (
                _burst(p),
                _staff_share(p, city),
                _staff_favourable(p, city),
                _straight_lining(p, city),
                _speed(p, city),
                _month_end_rush(context, p, city),
                _served_changed(p),
            ),
        )
        for p in profiles
    }


@dataclass
class _EntryScores:
    """Scored answers of one entry kind (self or staff): how many, how many the top one."""

    top: int = 0
    answers: int = 0
    responses: int = 0

    @property
    def top_share(self) -> float | None:
        """The share of 满意 among scored answers, in percentage points."""
        return 100 * self.top / self.answers if self.answers else None

    @property
    def variance(self) -> float:
        share = (self.top_share or 0) / 100
        return 100 * 100 * share * (1 - share)


@dataclass
class _Profile:
    input: DepartmentInput
    entries: dict[str, _EntryScores]
    rated: int = 0  # responses with two satisfaction answers at least
    flat: int = 0  # of those, one answer to every question (all 满意 included)
    top: int = 0  # of those, all 满意
    speeds: dict[str, dict[int, int]] = field(default_factory=dict)  # channel → bucket → n
    # Self-completed responses per day, each network bucket's three hours counted up to a cap.
    days: dict[int, int] = field(default_factory=dict)
    # (day, group) → slot → (responses, all 满意)
    groups: dict[tuple[int, int], dict[int, tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, context: MonthContext, department: DepartmentInput) -> _Profile:
        p = cls(department, {"self": _EntryScores(), "staff": _EntryScores()})
        counts = department.counts
        for key, segment in counts.segments.items():
            channel, _ = segment_parts(key)
            scores = p.entries[context.entries.get(channel, "self")]
            scores.responses += segment.responses
            for question, scale in context.scale.items():
                for option, n in segment.options.get(question, {}).items():
                    score = scale.get(option)
                    if score is not None:
                        scores.answers += n
                        scores.top += n if score == context.top_score else 0
        traits = counts.traits
        for key, n in traits.shapes.items():
            shape = key.rpartition(":")[2]
            p.rated += n
            p.flat += n if shape in (FLAT, TOP) else 0
            p.top += n if shape == TOP else 0
        for key, n in traits.speeds.items():
            channel, _, bucket = key.rpartition(":")
            p.speeds.setdefault(channel, {})[int(bucket)] = n
        networked = [n for c in traits.cells.values() for n in c[: 2 * STAFF_GROUP : 2] if n]
        usual = sum(networked) / len(networked) if networked else 0.0
        cap = max(RUSH_CELL_CAP, RUSH_CELL_TIMES * usual)
        not_self: dict[int, int] = {}  # staff-entered, and self-completed beyond a cell's cap
        for key, cell in traits.cells.items():
            day, slot = int(key[:2]), int(key[2:])
            beyond = sum(max(0, cell[2 * g] - cap) for g in range(STAFF_GROUP))
            not_self[day] = not_self.get(day, 0) + cell[2 * STAFF_GROUP] + round(beyond)
            for group in range(GROUPS):
                if cell[2 * group]:
                    slots = p.groups.setdefault((day, group), {})
                    slots[slot] = (cell[2 * group], cell[2 * group + 1])
        p.days = {
            int(day): n - not_self.get(int(day), 0)
            for day, n in traits.days.items()
            if n > not_self.get(int(day), 0)
        }
        return p

    @property
    def responses(self) -> int:
        return self.input.counts.responses

    @property
    def staff_share(self) -> float | None:
        total = sum(e.responses for e in self.entries.values())
        return self.entries["staff"].responses / total if total else None

    @property
    def staff_gap(self) -> float | None:
        staff, own = self.entries["staff"].top_share, self.entries["self"].top_share
        if staff is None or own is None:
            return None
        return staff - own

    @property
    def flat_share(self) -> float | None:
        return self.flat / self.rated if self.rated else None

    def rush_share(self, close_day: int) -> float | None:
        total = sum(n for day, n in self.days.items() if day <= close_day)
        last = sum(n for day, n in self.days.items() if close_day - RUSH_DAYS < day <= close_day)
        return last / total if total else None


@dataclass
class _City:
    staff_share: float | None
    staff_gap: float | None
    flat_share: float | None
    rush_share: float | None
    median_seconds: dict[str, float]  # channel → the city's median time
    fast_share: dict[str, float]  # channel → the city's share of responses under the cut

    @classmethod
    def of(cls, context: MonthContext, profiles: Sequence[_Profile]) -> _City:
        enough = [p for p in profiles if p.responses >= MIN_RESPONSES]
        pooled: dict[str, dict[int, int]] = {}
        for p in profiles:
            for channel, buckets in p.speeds.items():
                into = pooled.setdefault(channel, {})
                for bucket, n in buckets.items():
                    into[bucket] = into.get(bucket, 0) + n
        medians = {c: _median_of_buckets(b) for c, b in pooled.items()}
        fast = {c: _share_below(b, medians[c] * FAST_FRACTION) for c, b in pooled.items() if b}
        return cls(
            staff_share=_median(p.staff_share for p in enough),
            staff_gap=_median(
                p.staff_gap
                for p in enough
                if p.entries["staff"].responses >= STAFF_GAP_MIN_EACH
                and p.entries["self"].responses >= STAFF_GAP_MIN_EACH
            ),
            flat_share=_median(p.flat_share for p in enough),
            rush_share=_median(p.rush_share(context.close_day) for p in enough),
            median_seconds=medians,
            fast_share=fast,
        )


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _median_of_buckets(buckets: Mapping[int, int]) -> float:
    """The median time, read off the buckets: the lower edge of the bucket holding it."""
    total = sum(buckets.values())
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen * 2 >= total:
            return float(bucket)
    return 0.0


def _share_below(buckets: Mapping[int, int], cut: float) -> float:
    total = sum(buckets.values())
    return _count_below(buckets, cut) / total if total else 0.0


def _count_below(buckets: Mapping[int, int], cut: float) -> int:
    """Responses in buckets wholly below `cut` (a bucket ends at the next edge)."""
    ends = dict(zip(SPEED_EDGES, (*SPEED_EDGES[1:], math.inf), strict=True))
    return sum(n for bucket, n in buckets.items() if ends.get(bucket, math.inf) <= cut)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), summed in logarithms (no overflow for large n)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q, log_n = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    total = 0.0
    for i in range(k, n + 1):
        term = log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        total += math.exp(term)
        if term < -745 and i > n * p:  # past the mode, every further term is smaller still
            break
    return min(1.0, total)


def _clearly_above(k: int, n: int, p: float, cut: float = RATE_P) -> bool:
    return binomial_tail(k, n, min(p, 1.0)) <= cut


def _burst(p: _Profile) -> Signal:
    """The cluster (one group, one office day, up to six hours) least likely to be honest."""
    worst: tuple[float, int, int, int, bool] | None = None  # (p, responses, all-top, day, staff)
    tested = {False: 0, True: 0}  # day-groups with a large enough cluster, by kind
    clusters = []
    for (day, group), slots in p.groups.items():
        staff = group == STAFF_GROUP
        best: tuple[float, int, int] | None = None
        for start in sorted(slots):
            n = top = 0
            for slot in range(start, start + BURST_SLOTS):
                n += slots.get(slot, (0, 0))[0]
                top += slots.get(slot, (0, 0))[1]
            if n < BURST_MIN:
                continue
            others, others_top = p.responses - n, p.top - top
            base = (others_top + 1) / (others + 2)  # the rest of the department, smoothed
            if staff:
                base = min(base + BURST_STAFF_LIFT, BURST_STAFF_CAP)
            tail = binomial_tail(top, n, min(base, BURST_STAFF_CAP if staff else BURST_P_CAP))
            if best is None or tail < best[0]:
                best = (tail, n, top)
        if best is not None:
            tested[staff] += 1
            clusters.append((*best, day, staff))
    for tail, n, top, day, staff in clusters:
        # Each kind (networks, staff batches) is its own family of tests: the more day-groups
        # were large enough to test, the less one improbable cluster says.
        adjusted = min(1.0, tail * tested[staff])
        if worst is None or adjusted < worst[0]:
            worst = (adjusted, n, top, day, staff)
    if worst is None:
        return Signal("burst", False, None, None, None, {"largest": 0})
    adjusted, n, top, day, staff = worst
    # Reported on a log scale, so that "by" says how many orders of magnitude past the cut.
    value = -math.log10(max(adjusted, 1e-300))
    detail = {
        "responses": n,
        "all_top": top,
        "day": day,
        "group": "staff" if staff else "network",
        "p": float(f"{adjusted:.3g}"),
    }
    return Signal("burst", adjusted <= BURST_P, value, None, -math.log10(BURST_P), detail)


def _staff_share(p: _Profile, city: _City) -> Signal:
    share = p.staff_share
    if city.staff_share is None or share is None:
        return Signal("staff_share", False, share, city.staff_share, None)
    threshold = max(city.staff_share + STAFF_SHARE_ABOVE_CITY, STAFF_SHARE_MIN)
    staff = p.entries["staff"].responses
    clearly = _clearly_above(staff, p.responses, city.staff_share + STAFF_SHARE_ABOVE_CITY / 2)
    fired = p.responses >= MIN_RESPONSES and share >= threshold and clearly
    return Signal("staff_share", fired, share, city.staff_share, threshold)


def _staff_favourable(p: _Profile, city: _City) -> Signal:
    staff, own = p.entries["staff"], p.entries["self"]
    gap = p.staff_gap
    usual = city.staff_gap or 0.0
    threshold = usual + STAFF_GAP_POINTS
    if gap is None or staff.responses < STAFF_GAP_MIN_EACH or own.responses < STAFF_GAP_MIN_EACH:
        return Signal("staff_favourable", False, gap, city.staff_gap, threshold)
    # A two-proportion test: the variance of the two groups' pooled share (not each group's
    # own: a small staff group at 95% would look certain). Answers within one response move
    # together, so the error is counted in responses.
    pooled = _EntryScores(staff.top + own.top, staff.answers + own.answers)
    error = math.sqrt(pooled.variance / staff.responses + pooled.variance / own.responses)
    z = (gap - usual) / error if error else math.inf
    detail = {
        "staff_top_share": round(staff.top_share or 0, 2),
        "self_top_share": round(own.top_share or 0, 2),
    }
    fired = gap >= threshold and z >= STAFF_GAP_Z
    return Signal("staff_favourable", fired, gap, city.staff_gap, threshold, detail)


def _straight_lining(p: _Profile, city: _City) -> Signal:
    share = p.flat_share
    if share is None or city.flat_share is None:
        return Signal("straight_lining", False, share, city.flat_share, None)
    threshold = max(STRAIGHT_SHARE_MIN, city.flat_share + STRAIGHT_ABOVE_CITY)
    clearly = _clearly_above(p.flat, p.rated, city.flat_share + STRAIGHT_ABOVE_CITY / 2)
    fired = p.rated >= MIN_RESPONSES and share >= threshold and clearly
    return Signal("straight_lining", fired, share, city.flat_share, threshold)


def _speed(p: _Profile, city: _City) -> Signal:
    """The channel whose responses are most often far faster than the city's for it."""
    best: Signal | None = None
    for channel, buckets in p.speeds.items():
        median = city.median_seconds.get(channel)
        if not median:
            continue
        cut = median * FAST_FRACTION
        fast = _count_below(buckets, cut)
        timed = sum(buckets.values())
        share = fast / timed if timed else 0.0
        city_share = city.fast_share.get(channel, 0.0)
        threshold = city_share + FAST_ABOVE_CITY
        detail = {"channel": channel, "fast": fast, "timed": timed, "city_median_seconds": median}
        signal = Signal(
            "speed", fast >= FAST_MIN and share >= threshold, share, city_share, threshold, detail
        )
        if best is None or (signal.fired, signal.by or 0) > (best.fired, best.by or 0):
            best = signal
    return best or Signal("speed", False, None, None, None)


def _month_end_rush(context: MonthContext, p: _Profile, city: _City) -> Signal:
    share = p.rush_share(context.close_day)
    coverage = p.input.coverage
    if share is None or city.rush_share is None:
        return Signal("month_end_rush", False, share, city.rush_share, None)
    threshold = city.rush_share + RUSH_ABOVE_CITY
    just_over = (
        coverage is not None
        and context.coverage_target <= coverage < context.coverage_target + COVERAGE_MARGIN
    )
    total = sum(n for day, n in p.days.items() if day <= context.close_day)
    last, usual = round(share * total), city.rush_share + RUSH_ABOVE_CITY / 2
    with_coverage = just_over and _clearly_above(last, total, usual, RUSH_P_JUST_OVER)
    alone = share >= RUSH_ALONE and _clearly_above(last, total, usual)
    fired = p.responses >= MIN_RESPONSES and share >= threshold and (with_coverage or alone)
    detail = {"coverage": None if coverage is None else round(coverage, 4), "just_over": just_over}
    return Signal("month_end_rush", fired, share, city.rush_share, threshold, detail)


def _served_changed(p: _Profile) -> Signal:
    """The served count (it decides the coverage) was set or changed late: after the 20th, when
    the month's pace is known, or after the close, when the report is frozen. Its value: the
    relative change after the close (unknown for a change before it)."""
    at_close, now, late = p.input.served_at_close, p.input.served_now, p.input.served_changed_late
    after_close = at_close is not None and now is not None and now != at_close
    detail: dict[str, Any] = {"after_20th": late, "after_close": after_close}
    if at_close is not None and now is not None:
        detail |= {"served_at_close": at_close, "served_now": now}
    if not after_close:
        return Signal("served_changed", late, None, None, None, detail)
    change = abs((now or 0) - (at_close or 0)) / at_close if at_close else 1.0
    return Signal("served_changed", True, change, None, 0.0, detail)
