"""The pressure question's counts: per department-month, how many answered 有 / 没有 / 不愿回答.

"是否有工作人员要求您给好评，或替您填写问卷？" is asked after the thanks page, outside the
questionnaire. Only counts are kept: no row per answer, no time, no submission ID, nothing
that could be set beside a response to say who answered what. One key per department-month
and answer: `pk = "P#<YYYY-MM>"`, `sk = "<department>#<answer>"`, so a month is one read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Final, Literal

PressureAnswer = Literal["yes", "no", "declined"]
PRESSURE_ANSWERS: Final[tuple[PressureAnswer, ...]] = ("yes", "no", "declined")

MonthCounts = dict[str, dict[str, int]]  # department → answer → count


class PressureStore(ABC):
    @abstractmethod
    def add(self, month: str, department: str, answer: PressureAnswer) -> None:
        """Count one answer."""

    @abstractmethod
    def month_counts(self, month: str) -> MonthCounts:
        """Every department's counts of `month` (departments without answers left out)."""

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""


def month_key(month: str) -> str:
    return f"P#{month}"


def answer_key(department: str, answer: str) -> str:
    return f"{department}#{answer}"
