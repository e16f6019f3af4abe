"""Integrity signals: each fires on a crafted department-month and stays silent on its honest
twin, in a city of honest departments (manyi.integrity); the traits behind them merge exactly
and stay small whatever the number of responses (manyi.traits)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from manyi.aggregate import Counts, Tally
from manyi.integrity import (
    SIGNALS,
    DepartmentInput,
    binomial_tail,
    month_context,
    month_signals,
)
from manyi.model import Questionnaire
from manyi.store.records import dumps
from manyi.submission import StoredSubmission, utc_timestamp
from manyi.traits import SLOT_HOURS, TraitCounter, Traits, speed_bucket
from tests.integrity_months import (
    BEIJING,
    CRAFTED,
    MONTH,
    SCALE,
    Month,
    burst,
    city_with,
    clerk_batch,
    honest_twin,
    largest_state,
)

# The largest a department-month's state item may be: 40% of DynamoDB's 400 KB item limit,
# whatever the number of responses (docs/integrity.md).
STATE_BOUND_BYTES = 160 * 1024


def test_every_signal_has_a_crafted_case() -> None:
    assert set(CRAFTED) == set(SIGNALS)


@pytest.mark.parametrize("name", SIGNALS)
def test_each_signal_fires_on_its_crafted_month(questionnaire: Questionnaire, name: str) -> None:
    target = Month("target", 99).honest()
    CRAFTED[name](target)
    signals = city_with(questionnaire, target)["target"]
    assert name in [s.name for s in signals.fired], signals.to_dict()
    fired = signals.signal(name)
    assert fired.by is not None
    assert fired.by >= 0
    assert signals.to_dict()["flagged"] is True


@pytest.mark.parametrize("name", SIGNALS)
def test_each_signal_stays_silent_on_the_honest_twin(
    questionnaire: Questionnaire, name: str
) -> None:
    target = Month("target", 99).honest()
    honest_twin(name, target)
    everyone = city_with(questionnaire, target)
    assert everyone["target"].fired == (), everyone["target"].to_dict()
    assert all(not s.flagged for s in everyone.values())


def test_a_clerks_batch_of_perfect_papers_is_a_burst_and_an_honest_batch_is_not(
    questionnaire: Questionnaire,
) -> None:
    gamed = Month("target", 99).honest()
    clerk_batch(gamed)
    signal = city_with(questionnaire, gamed)["target"].signal("burst")
    assert signal.fired
    assert (signal.detail["group"], signal.detail["all_top"]) == ("staff", 100)
    # 100 phone interviews imported at once, answered as the department's citizens answer
    # (a little more favourably: the interviewer effect).
    honest = Month("target", 99).honest()
    for _ in range(100):
        honest.add(day=20, hour=10, minute=5, channel="phone", score_shift=0.05)
    assert not city_with(questionnaire, honest)["target"].signal("burst").fired


def test_a_meeting_or_a_clerks_batch_just_before_the_close_is_not_a_rush(
    questionnaire: Questionnaire,
) -> None:
    """A small department whose meeting on the venue's Wi-Fi, or whose papers keyed at once,
    fall in the last days: one event each, not people choosing to answer late."""
    for late in ("meeting", "batch"):
        target = Month("target", 99).honest(60)
        target.served = 100  # coverage about 90%: just over the target
        for i in range(30):
            if late == "meeting":
                target.add(day=26, hour=15, minute=i, network="cd" * 8, channel="leaflet")
            else:
                target.add(day=26, hour=10, minute=5, channel="paper")
        rush = city_with(questionnaire, target)["target"].signal("month_end_rush")
        assert not rush.fired, (late, rush.to_dict())


def test_a_served_count_changed_after_the_20th_is_a_signal(questionnaire: Questionnaire) -> None:
    target = Month("target", 99).honest()
    target.served_changed_late = True
    signal = city_with(questionnaire, target)["target"].signal("served_changed")
    assert signal.fired
    assert signal.detail == {"after_20th": True, "after_close": False}


def test_the_traits_merge_exactly_whatever_the_split(questionnaire: Questionnaire) -> None:
    month = Month("target", 7).honest(80)
    burst(month)
    clerk_batch(month)
    counter = TraitCounter(questionnaire)
    whole = Tally(counter).add_all(month.responses).counts()
    halves = (
        Tally(counter).add_all(month.responses[::2]).counts()
        + Tally(counter).add_all(month.responses[1::2]).counts()
    )
    assert whole == halves
    assert Counts.from_dict(whole.to_dict()) == whole
    assert whole.traits
    assert not Tally().add_all(month.responses).counts().traits  # only the aggregator's count


def test_a_response_becomes_its_traits(questionnaire: Questionnaire) -> None:
    response = StoredSubmission(
        "t-1",
        "sifaju",
        MONTH,
        "2026-11-27T13:41:02.000000Z",  # 21:41 in Beijing
        "v1",
        "wechat",
        dict.fromkeys(SCALE, "satisfied"),
        network="e0ff" * 4,
        seconds=47,
    )
    traits = Tally(TraitCounter(questionnaire)).add_all([response]).counts().traits
    # Network buckets by the hash's first hex digit: e → 14 % 4 = 2.
    top_in_bucket_2 = (0, 0, 0, 0, 1, 1, 0, 0, 0, 0)
    assert traits == Traits(
        shapes={"wechat:t": 1},
        speeds={"wechat:45": 1},
        days={"27": 1},
        cells={f"27{21 // SLOT_HOURS:02d}": top_in_bucket_2},
    )
    # No hash, nothing of it, is kept.
    assert "e0ff" not in dumps(traits.to_dict())
    keyed = response._replace(channel="paper", network="", seconds=None)
    staff = Tally(TraitCounter(questionnaire)).add_all([keyed]).counts().traits
    assert staff.cells == {f"27{21 // SLOT_HOURS:02d}": (0,) * 8 + (1, 1)}
    assert staff.speeds == {}
    # Two respondent types (two segments of the count) fill in the same way: both are counted.
    person = response._replace(answers={**response.answers, "respondent": "person"})
    company = response._replace(answers={**response.answers, "respondent": "private"})
    both = Tally(TraitCounter(questionnaire)).add_all([person, company]).counts().traits
    assert (both.shapes, both.speeds) == ({"wechat:t": 2}, {"wechat:45": 2})
    # A question of the scale left out: the shape of the answers given (all top here).
    partial = response._replace(answers=dict.fromkeys(SCALE[1:], "satisfied"))
    shapes = Tally(TraitCounter(questionnaire)).add_all([partial]).counts().traits.shapes
    assert shapes == {"wechat:t": 1}


def test_speed_buckets_and_the_binomial_tail() -> None:
    assert [speed_bucket(s) for s in (0, 4, 5, 59, 60, 7200)] == [0, 0, 5, 45, 60, 1800]
    assert binomial_tail(0, 10, 0.5) == 1.0
    assert binomial_tail(10, 10, 0.5) == pytest.approx(0.5**10)
    assert binomial_tail(3, 10, 0.0) == 0.0


def test_signals_without_data_are_silent(questionnaire: Questionnaire) -> None:
    empty = DepartmentInput("nobody", Counts())
    signals = month_signals(month_context(questionnaire, MONTH), [empty])["nobody"]
    assert not signals.flagged
    assert set(signals.to_dict()) == {"flagged", "fired", *SIGNALS}


def test_a_department_months_state_stays_under_its_bound(questionnaire: Questionnaire) -> None:
    """The largest state there can be (tests.integrity_months.largest_state), as the DynamoDB
    results store writes it, stays under the bound."""
    largest = largest_state(questionnaire)
    size = len(dumps(largest.to_dict()).encode())
    assert size < STATE_BOUND_BYTES, size
    traits = largest.counts.traits
    channels = [c.id for c in questionnaire.channels]
    # And what a real count holds is within those keys: a month of responses in every slot of
    # every day, from every network bucket and every channel.
    counter = TraitCounter(questionnaire)
    spread: list[StoredSubmission] = []
    for day in range(1, 31):
        for hour in range(0, 24, SLOT_HOURS):
            moment = datetime(2026, 11, day, hour, 30, tzinfo=UTC) - BEIJING
            for digit in "0123":
                for channel in channels:
                    spread.append(
                        StoredSubmission(
                            f"s-{len(spread)}", "sifaju", MONTH, utc_timestamp(moment), "v1",
                            channel, dict.fromkeys(SCALE, "satisfied"), network=digit * 16,
                            seconds=len(spread) % 2000,
                        )
                    )  # fmt: skip
    counted = Tally(counter).add_all(spread).counts().traits
    assert set(counted.cells) <= set(traits.cells)
    assert set(counted.speeds) <= set(traits.speeds)
    assert set(counted.shapes) <= set(traits.shapes)
