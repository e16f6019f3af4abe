"""What the aggregator counts of each response for the integrity signals (manyi.integrity).

`TraitCounter` classifies each response as `Tally` counts it, and sums what it found into
`Traits`, a part of `Counts` that merges exactly like the rest (so `--verify` checks it). Its
size is bounded whatever the number of responses: every key comes from a fixed set (channels,
speed buckets, office days, three-hour slots, four network buckets), and no network hash is
kept, only which of four buckets its first hex digit falls in. The rest the signals need (the
staff-entered share, how favourable staff-entered answers are) is read off the counts by
channel that `Counts.segments` already keeps.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from manyi.model import AnswerValue, Questionnaire

# The traits' resolution: fixed, so that their size is bounded.
# Speed buckets (seconds): a response counts in the bucket of the last edge at or below it.
SPEED_EDGES = (0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800)
SLOT_HOURS = 3
# Network hashes are spread over this many buckets by their first hex digit: enough to keep a
# flood from one network apart from most of a large department's other responses, few enough
# to keep the counts small. A bucket's responses are never set beside one network's.
NETWORK_BUCKETS = 4
STAFF_GROUP = NETWORK_BUCKETS  # a cell's last group: staff-entered responses (no network)
GROUPS = NETWORK_BUCKETS + 1
BUCKET_OF_DIGIT = {digit: int(digit, 16) % NETWORK_BUCKETS for digit in "0123456789abcdef"}
# A response's shape among the satisfaction questions (two answered at least): answers that
# vary, one answer to every question (not all 满意), or all 满意.
VARIED, FLAT, TOP = "v", "f", "t"
SHAPES = (VARIED, FLAT, TOP)


def speed_bucket(seconds: int) -> int:
    return SPEED_EDGES[bisect_right(SPEED_EDGES, seconds) - 1]


# Seconds (None: not timed) → the speed edge's index + 1 (-1), looked up rather than searched
# in the hot loop; from the last edge on, SLOWEST.
SPEED_INDEX: dict[int | None, int] = {
    None: -1,
    **{seconds: bisect_right(SPEED_EDGES, seconds) for seconds in range(SPEED_EDGES[-1])},
}
SLOWEST = len(SPEED_EDGES)


def _frozen(counts: Mapping[str, int]) -> dict[str, int]:
    return {key: counts[key] for key in sorted(counts) if counts[key]}


@dataclass(frozen=True)
class Traits:
    """What the signals count of a set of responses. Every field is a count; `+` merges."""

    # "<channel>:<v|f|t>" → responses with two satisfaction answers at least, by shape.
    shapes: Mapping[str, int] = field(default_factory=dict)
    # "<channel>:<bucket>" → responses whose page reported a time in that speed bucket.
    speeds: Mapping[str, int] = field(default_factory=dict)
    # "<DD>" → responses that arrived on that office day.
    days: Mapping[str, int] = field(default_factory=dict)
    # "<DD><SS>" (office day, three-hour slot) → per group (network buckets 0-3, then staff
    # entry): responses and how many of them all 满意, flattened (n0, top0, n1, top1, …).
    cells: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.days)

    def __add__(self, other: Traits) -> Traits:
        if not other:
            return self
        if not self:
            return other
        cells = dict(self.cells)
        for key, cell in other.cells.items():
            mine = cells.get(key)
            cells[key] = cell if mine is None else tuple(map(sum, zip(mine, cell, strict=True)))
        return Traits(
            shapes=_frozen(Counter(self.shapes) + Counter(other.shapes)),
            speeds=_frozen(Counter(self.speeds) + Counter(other.speeds)),
            days=_frozen(Counter(self.days) + Counter(other.days)),
            cells={key: cells[key] for key in sorted(cells)},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "shapes": dict(self.shapes),
            "speeds": dict(self.speeds),
            "days": dict(self.days),
            "cells": {key: list(cell) for key, cell in self.cells.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Traits:
        return cls(
            shapes=_frozen({k: int(v) for k, v in data.get("shapes", {}).items()}),
            speeds=_frozen({k: int(v) for k, v in data.get("speeds", {}).items()}),
            days=_frozen({k: int(v) for k, v in data.get("days", {}).items()}),
            cells={k: tuple(int(n) for n in v) for k, v in sorted(data.get("cells", {}).items())},
        )


NO_TRAITS = Traits()
NO_GROUP = -1  # a self-completed response without a network (the key store was down)
# What `Tally` keeps per response before `TraitCounter.traits` sums it up, in two small keys
# (so that the sums stay few), made with as little work as can be in the aggregator's hot loop:
# where, per UTC hour of arrival ("2026-11-27T13"), (the network bucket of the hash's first hex
# digit, or the channel without a network, shape), and how, (channel, speed edge's index + 1 or
# -1 without a time, shape or "" when not rated), the second riding on the segment's (channel,
# version) count.
ArrivalKey = tuple[int | str, str]
MannerKey = tuple[str, int, str]


class TraitCounter:
    """Classifies responses for `Tally` (see the module's docstring), from the questionnaire:
    its satisfaction questions and their best answer, its staff channels, its time zone."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.zone = ZoneInfo(questionnaire.reporting.timezone)
        scores = {
            q.id: {o.id: int(o.score) for o in q.options if o.score is not None}
            for q in questionnaire.questions
            if q.is_satisfaction_scale
        }
        self.scale: tuple[str, ...] = tuple(scores)
        self.scores = scores
        self.top = max((s for q in scores.values() for s in q.values()), default=100)
        self.staff_channels = frozenset(c.id for c in questionnaire.channels if c.entry == "staff")
        # The answers to the scale as a tuple, in one C call; KeyError when one is missing.
        pick = itemgetter(*self.scale) if self.scale else (lambda answers: ())
        self.scale_answers: Callable[[Mapping[str, AnswerValue]], Any] = (
            (lambda answers: (pick(answers),)) if len(self.scale) == 1 else pick
        )
        # Answers to the scale → shape: a few thousand distinct ones in practice.
        self.shapes: dict[tuple[AnswerValue | None, ...], str] = {}
        # Per question of the scale, in its order: the options with a score, the best ones.
        self._scales = [frozenset(scores[q]) for q in self.scale]
        self._tops = [
            frozenset(o for o, s in scores[q].items() if s == self.top) for q in self.scale
        ]
        self._slots: dict[str, tuple[str, str]] = {}

    def shape_of(self, answers: Mapping[str, AnswerValue]) -> str:
        """The shape of a response whose answers to the scale are not all there."""
        return self.shape(tuple(map(answers.get, self.scale)))

    def shape(self, answers: tuple[AnswerValue | None, ...]) -> str:
        """The shape of a response's answers to the scale (in `self.scale`'s order)."""
        found = self.shapes.get(answers)
        if found is None:
            # Answers with a score (不了解 has none; a multiple choice is not on the scale).
            chosen = [
                (answer, answer in top)
                for scale, top, answer in zip(self._scales, self._tops, answers, strict=True)
                if answer in scale
            ]
            if len(chosen) < 2:
                found = ""
            elif all(best for _, best in chosen):
                found = TOP
            elif len({answer for answer, _ in chosen}) == 1:
                found = FLAT
            else:
                found = VARIED
            if len(self.shapes) > 100_000:
                self.shapes.clear()
            self.shapes[answers] = found
        return found

    def traits(
        self,
        arrivals: Mapping[str, Mapping[ArrivalKey, int]],
        manners: Mapping[MannerKey, int],
    ) -> Traits:
        """What `Tally` kept per response, summed up."""
        shapes: Counter[str] = Counter()
        speeds: Counter[str] = Counter()
        for (channel, speed, shape), n in manners.items():
            if shape:
                shapes[f"{channel}:{shape}"] += n
            if speed > 0:
                speeds[f"{channel}:{SPEED_EDGES[speed - 1]}"] += n
        days: Counter[str] = Counter()
        cells: dict[str, list[int]] = {}
        for hour, arrived in arrivals.items():
            day, slot = self._office_slot(hour)
            for (where, shape), n in arrived.items():
                days[day] += n
                group = self._group(where)
                if group == NO_GROUP:
                    continue
                cell = cells.setdefault(day + slot, [0] * (2 * GROUPS))
                cell[2 * group] += n
                cell[2 * group + 1] += n if shape == TOP else 0
        return Traits(
            shapes=_frozen(shapes),
            speeds=_frozen(speeds),
            days=_frozen(days),
            cells={key: tuple(cells[key]) for key in sorted(cells)},
        )

    def _group(self, where: int | str) -> int:
        """A cell's group: a network bucket, else staff entry by channel (or none at all)."""
        if isinstance(where, int):
            return where
        return STAFF_GROUP if where in self.staff_channels else NO_GROUP

    def _office_slot(self, hour: str) -> tuple[str, str]:
        """(day, three-hour slot) on the office's clock of a UTC hour ("2026-11-27T13"); zones
        off UTC by whole hours, like Beijing's, keep the hour's minutes in the same hour."""
        found = self._slots.get(hour)
        if found is None:
            moment = datetime.fromisoformat(hour + ":00:00+00:00").astimezone(self.zone)
            found = (f"{moment.day:02d}", f"{moment.hour // SLOT_HOURS:02d}")
            if len(self._slots) > 10_000:
                self._slots.clear()
            self._slots[hour] = found
        return found
