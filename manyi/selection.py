"""Which responses a results view counts: all, or one respondent type and/or one channel group.

Self-completed and staff-entered are the channel groups, derived from each channel's `entry`
(questionnaire.yaml) and nowhere else; a channel the file no longer lists counts as
self-completed, as every channel did before channels said who fills them in. Filtering works on
the segments the aggregator keeps (`Counts.segments`), so a filtered figure is computed from
exactly the responses it names, and its rates from their own denominators.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyi.aggregate import RESPONDENT_QUESTION, Counts, MonthlyResult
from manyi.errors import ManyiError
from manyi.model import ENTRIES, Entry, Questionnaire

ENTRY_TEXT: dict[Entry, str] = {"self": "自主填写", "staff": "工作人员代录"}


def channel_entry(questionnaire: Questionnaire, channel_id: str) -> Entry:
    channel = questionnaire.channel(channel_id)
    return "self" if channel is None else channel.entry


def entry_counts(questionnaire: Questionnaire, counts: Counts) -> dict[Entry, int]:
    """Responses by channel group: self-completed and staff-entered."""
    out: dict[Entry, int] = dict.fromkeys(ENTRIES, 0)
    for channel, n in counts.channels.items():
        out[channel_entry(questionnaire, channel)] += n
    return out


@dataclass(frozen=True)
class Selection:
    respondent: str | None = None  # an option ID of the respondent question
    entry: Entry | None = None

    @property
    def everything(self) -> bool:
        return self.respondent is None and self.entry is None

    def counts(self, questionnaire: Questionnaire, counts: Counts) -> Counts:
        if self.everything:
            return counts
        return counts.only(
            lambda channel, respondent: (
                self.entry in (None, channel_entry(questionnaire, channel))
                and self.respondent in (None, respondent)
            )
        )

    def result(self, questionnaire: Questionnaire, result: MonthlyResult) -> MonthlyResult:
        if self.everything:
            return result
        return MonthlyResult(
            result.department,
            result.month,
            self.counts(questionnaire, result.counts),
            self.counts(questionnaire, result.late),
        )

    def label(self, questionnaire: Questionnaire) -> str:
        """What the figures count, for a heading: 全部答卷, or e.g. 民营企业 · 自主填写."""
        parts = []
        if self.respondent is not None:
            question = questionnaire.question(RESPONDENT_QUESTION)
            option = None if question is None else question.option(self.respondent)
            parts.append(self.respondent if option is None else option.text)
        if self.entry is not None:
            parts.append(ENTRY_TEXT[self.entry])
        return " · ".join(parts) or "全部答卷"

    def query(self) -> dict[str, str]:
        """As URL query parameters (the workspace's and the results pages' filter form)."""
        out = {}
        if self.respondent is not None:
            out["respondent"] = self.respondent
        if self.entry is not None:
            out["entry"] = self.entry
        return out


EVERYTHING = Selection()


class BadSelection(ManyiError, ValueError):
    """A filter value the questionnaire does not know; the message says which, in Chinese."""


def parse_selection(
    questionnaire: Questionnaire, respondent: str | None, entry: str | None
) -> Selection:
    """A selection from what a person or a form gave (empty means no filter)."""
    respondent = (respondent or "").strip() or None
    entry = (entry or "").strip() or None
    question = questionnaire.question(RESPONDENT_QUESTION)
    known = [] if question is None else [o.id for o in question.options]
    if respondent is not None and respondent not in known:
        raise BadSelection(f"答题人身份“{respondent}”不存在，可选：{'、'.join(known)}")
    if entry is not None and entry not in ENTRIES:
        raise BadSelection(f"填写方式“{entry}”不存在，可选：{'、'.join(ENTRIES)}")
    return Selection(respondent, entry if entry in ENTRIES else None)
