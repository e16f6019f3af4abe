"""Counting responses: the integer state of a department-month, and how two of them merge.

Only counts are kept, never rates: counts add up exactly, so the result of A ∪ B is the merge of
the results of A and B, whatever way the responses were split (increments, versions, crashes
and re-runs). Rates, the satisfaction index and coverage are derived from counts when rendered
(`manyi.figures`). Counting does not consult the questionnaire: answers are counted by their
stable question and option IDs, so responses of every questionnaire version combine. The one
exception is what the integrity signals count beside the answers (`Counts.traits`,
manyi.traits): which questions are the satisfaction scale, which channels are staff-entered.
"""

from __future__ import annotations

from collections import Counter, _count_elements  # type: ignore[attr-defined]
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from manyi.model import AnswerValue
from manyi.submission import StoredSubmission
from manyi.traits import (
    BUCKET_OF_DIGIT,
    NO_TRAITS,
    SLOWEST,
    SPEED_INDEX,
    ArrivalKey,
    MannerKey,
    TraitCounter,
    Traits,
)

# The added screening question whose answer is the respondent type (个人, 民营企业, …).
RESPONDENT_QUESTION = "respondent"
# Counts are also kept apart by segment, a channel and a respondent type ("wechat/private"),
# so that figures can be read for one respondent type or one channel group (self-completed or
# staff-entered, from the channel's `entry`) alone. A response without a respondent type has
# the empty one ("leaflet/").
SEGMENT_SEPARATOR = "/"


def segment_parts(key: str) -> tuple[str, str]:
    channel, _, respondent = key.partition(SEGMENT_SEPARATOR)
    return channel, respondent


def _frozen(counts: Mapping[str, int]) -> dict[str, int]:
    """A plain dict without zero entries, sorted so that equal counts compare and dump equal."""
    return {key: counts[key] for key in sorted(counts) if counts[key]}


def _frozen_nested(counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    nested = {key: _frozen(counts[key]) for key in sorted(counts)}
    return {key: inner for key, inner in nested.items() if inner}


@dataclass(frozen=True)
class Counts:
    """What a set of responses adds up to. Every field is a count; `+` is the exact merge."""

    responses: int = 0
    channels: Mapping[str, int] = field(default_factory=dict)
    versions: Mapping[str, int] = field(default_factory=dict)
    # Respondents who answered each question (the denominator of its shares and rates).
    answered: Mapping[str, int] = field(default_factory=dict)
    # question ID → option ID → respondents who chose it (a multiple choice counts each option).
    options: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # segment key → the counts of that segment alone (which have no segments themselves).
    segments: Mapping[str, Counts] = field(default_factory=dict)
    # What the integrity signals read (manyi.traits); of the whole only, never of a segment.
    traits: Traits = NO_TRAITS

    def __add__(self, other: Counts) -> Counts:
        segments = {
            key: self.segments.get(key, EMPTY) + other.segments.get(key, EMPTY)
            for key in sorted(set(self.segments) | set(other.segments))
        }
        options: dict[str, Counter[str]] = {}
        for side in (self.options, other.options):
            for question, chosen in side.items():
                options.setdefault(question, Counter()).update(chosen)
        return Counts(
            responses=self.responses + other.responses,
            channels=_frozen(Counter(self.channels) + Counter(other.channels)),
            versions=_frozen(Counter(self.versions) + Counter(other.versions)),
            answered=_frozen(Counter(self.answered) + Counter(other.answered)),
            options=_frozen_nested(options),
            segments={key: counts for key, counts in segments.items() if counts.responses},
            traits=self.traits + other.traits,
        )

    def only(self, keep: Callable[[str, str], bool]) -> Counts:
        """The counts of the segments whose (channel, respondent type) `keep` accepts."""
        return sum(
            (_unsegmented(c) for k, c in self.segments.items() if keep(*segment_parts(k))),
            EMPTY,
        )

    @property
    def respondent_types(self) -> Mapping[str, int]:
        return self.options.get(RESPONDENT_QUESTION, {})

    def to_dict(self) -> dict[str, Any]:
        return {
            "responses": self.responses,
            "channels": dict(self.channels),
            "versions": dict(self.versions),
            "answered": dict(self.answered),
            "options": {q: dict(o) for q, o in self.options.items()},
            **(
                {"segments": {k: c.to_dict() for k, c in self.segments.items()}}
                if self.segments
                else {}
            ),
            **({"traits": self.traits.to_dict()} if self.traits else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Counts:
        return cls(
            responses=int(data["responses"]),
            channels=_frozen({k: int(v) for k, v in data["channels"].items()}),
            versions=_frozen({k: int(v) for k, v in data["versions"].items()}),
            answered=_frozen({k: int(v) for k, v in data["answered"].items()}),
            options=_frozen_nested(
                {
                    q: {o: int(n) for o, n in options.items()}
                    for q, options in data["options"].items()
                }
            ),
            # Counted before segments were kept: none (the totals alone).
            segments={k: cls.from_dict(c) for k, c in data.get("segments", {}).items()},
            # Counted before the integrity traits were kept: none.
            traits=Traits.from_dict(data["traits"]) if "traits" in data else NO_TRAITS,
        )


EMPTY = Counts()


def _unsegmented(counts: Counts) -> Counts:
    return Counts(
        counts.responses, counts.channels, counts.versions, counts.answered, counts.options
    )


def counted_before_segments(result: MonthlyResult) -> bool:
    """Responses counted by a release that kept no segments (their sum falls short)."""
    return any(
        c.responses and sum(s.responses for s in c.segments.values()) != c.responses
        for c in (result.counts, result.late)
    )


def without_segments(result: MonthlyResult) -> MonthlyResult:
    return MonthlyResult(
        result.department, result.month, _unsegmented(result.counts), _unsegmented(result.late)
    )


def counted_before_traits(result: MonthlyResult) -> bool:
    """Responses counted by a release that kept no integrity traits (every response counts
    its office day among them)."""
    return any(c.responses and not c.traits for c in (result.counts, result.late))


def without_traits(result: MonthlyResult) -> MonthlyResult:
    return MonthlyResult(
        result.department,
        result.month,
        replace(result.counts, traits=NO_TRAITS),
        replace(result.late, traits=NO_TRAITS),
    )


class Tally:
    """Adds responses one at a time, cheaply: the aggregator streams a million through it.

    Each response costs one C-level count of its (question, answer) pairs — the loop behind
    `Counter.update`, called directly to skip its per-call Python overhead — and one increment
    for its channel and version; option counts are expanded from the distinct answer values
    only at the end. With a `TraitCounter` (the aggregator's), each also costs a look at its
    answers to the satisfaction scale and one more increment (manyi.traits.ArrivalKey), summed
    up at the end the same way.
    """

    def __init__(self, traits: TraitCounter | None = None) -> None:
        self.responses = 0
        # Per segment key: (question, answer) → responses; (channel, version) → responses, or
        # with a TraitCounter, (channel, version, speed edge's index, shape) → responses.
        self._answers: dict[str, dict[tuple[str, AnswerValue], int]] = {}
        self._meta: dict[str, dict[tuple[Any, ...], int]] = {}
        self._trait_counter = traits
        # UTC hour ("2026-11-27T13") → what arrived in it (manyi.traits.ArrivalKey) → responses.
        self._arrivals: dict[str, dict[ArrivalKey, int]] = {}

    def add(self, submission: StoredSubmission) -> None:
        # One item under a bound above every sort key: added, whatever its key.
        self.add_until(iter([("", submission)]), "\uffff")

    def add_until(
        self, items: Iterator[tuple[str, StoredSubmission]], bound: str
    ) -> tuple[str, StoredSubmission] | None:
        """Add (sort key, submission) items, in sort key order, until one reaches `bound`.

        Returns that item, not added, for the caller to place; None when `items` ran out. The
        aggregator's hot loop: `add`'s body inlined, as it runs once per response.
        """
        answers_of, meta_of = self._answers, self._meta
        counter, by_hour = self._trait_counter, self._arrivals
        if counter is not None:
            on_scale, shapes = counter.scale_answers, counter.shapes
        # The hour being counted (none yet: no timestamp starts with NUL); items come in time
        # order, so it changes seldom.
        hour, arrivals = "\0", {}
        bucket_of, speed_of = BUCKET_OF_DIGIT.get, SPEED_INDEX.get
        added = 0
        stopped = None
        for item in items:
            if item[0] >= bound:
                stopped = item
                break
            # One unpacking rather than an attribute look-up per field.
            _, _, _, received_at, version, channel, given, network, seconds = item[1]
            respondent = given.get(RESPONDENT_QUESTION)  # none, or not one option: ""
            chosen = respondent if isinstance(respondent, str) else ""
            segment = f"{channel}{SEGMENT_SEPARATOR}{chosen}"
            answers = answers_of.get(segment)
            if answers is None:
                answers = answers_of[segment] = {}
                meta_of[segment] = {}
            _count_elements(answers, given.items())
            meta = meta_of[segment]
            key: tuple[Any, ...]
            if counter is None:
                key = (channel, version)
            else:
                # The traits (manyi.traits): how it was filled in rides on the meta key, when
                # and where on one more count; both are summed up in `counts`.
                try:
                    kind = shapes.get(on_scale(given))
                except KeyError:  # a question of the scale not answered
                    kind = None
                if kind is None:
                    kind = counter.shape_of(given)
                key = (channel, version, speed_of(seconds, SLOWEST), kind)
                if not received_at.startswith(hour):
                    hour = received_at[:13]
                    arrivals = by_hour.setdefault(hour, {})
                arrival = (bucket_of(network[:1], channel), kind)
                arrivals[arrival] = arrivals.get(arrival, 0) + 1
            meta[key] = meta.get(key, 0) + 1
            added += 1
        self.responses += added
        return stopped

    def add_all(self, submissions: Iterable[StoredSubmission]) -> Tally:
        for submission in submissions:
            self.add(submission)
        return self

    def counts(self) -> Counts:
        segments = {
            key: _segment_counts(self._answers[key], self._meta[key])
            for key in sorted(self._answers)
        }
        total = sum(segments.values(), EMPTY)
        traits = NO_TRAITS
        if self._trait_counter is not None:
            manners: Counter[MannerKey] = Counter()
            for meta in self._meta.values():
                for (channel, _, speed, kind), n in meta.items():
                    manners[(channel, speed, kind)] += n
            traits = self._trait_counter.traits(self._arrivals, manners)
        return Counts(
            total.responses, total.channels, total.versions, total.answered, total.options,
            segments, traits,
        )  # fmt: skip


def _segment_counts(
    answers: Mapping[tuple[str, AnswerValue], int], meta: Mapping[tuple[Any, ...], int]
) -> Counts:
    channels: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    for key, n in meta.items():
        channels[key[0]] += n
        versions[key[1]] += n
    answered: Counter[str] = Counter()
    options: dict[str, Counter[str]] = {}
    for (question, value), n in answers.items():
        answered[question] += n
        chosen = options.setdefault(question, Counter())
        for option in (value,) if isinstance(value, str) else value:
            chosen[option] += n
    return Counts(
        responses=sum(meta.values()),
        channels=_frozen(channels),
        versions=_frozen(versions),
        answered=_frozen(answered),
        options=_frozen_nested(options),
    )


def count(submissions: Iterable[StoredSubmission]) -> Counts:
    return Tally().add_all(submissions).counts()


@dataclass(frozen=True)
class MonthlyResult:
    """One department's month: the report's responses and, apart, those that came after close.

    Before the month is closed every response is in `counts`; once it is closed, `counts` is
    the frozen report and responses counted later go to `late`, never into the report.
    """

    department: str
    month: str
    counts: Counts = EMPTY
    late: Counts = EMPTY

    def merge(self, other: MonthlyResult) -> MonthlyResult:
        if (self.department, self.month) != (other.department, other.month):
            raise ValueError(
                f"cannot merge {other.department} {other.month} into {self.department} {self.month}"
            )
        return MonthlyResult(
            self.department, self.month, self.counts + other.counts, self.late + other.late
        )

    @property
    def responses(self) -> int:
        return self.counts.responses

    def to_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "month": self.month,
            "counts": self.counts.to_dict(),
            "late": self.late.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonthlyResult:
        return cls(
            department=data["department"],
            month=data["month"],
            counts=Counts.from_dict(data["counts"]),
            late=Counts.from_dict(data["late"]),
        )
