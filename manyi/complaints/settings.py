"""The complaint categories and the `complaints:` settings of questionnaire.yaml (light: no
crypto, so the questionnaire model can carry them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from manyi.store.records import Record

# The notice's seven (平法政办〔2020〕17号 三（六）) in plain words, then 其他.
CATEGORIES: dict[str, str] = {
    "delay": "该办的事不办，或者拖着不办",
    "certificate": "执法人员不出示执法证，或者执法证使用不当",
    "receipt": "收费、罚款、没收财物不开正规票据",
    "fines": "罚款不按规定缴到银行，或者私自处理扣押、没收的财物",
    "shirk": "不受理或者推脱群众的投诉、举报",
    "abuse": "故意刁难、辱骂或者殴打办事的人",
    "bribe": "收钱收礼、吃拿卡要",
    "other": "其他问题",
}
# About an officer's conduct by default: to the department's own handler.
DEFAULT_CONDUCT_CATEGORIES = ("certificate", "abuse", "bribe")

About = Literal["action", "conduct"]
DEFAULT_RETENTION_YEARS = 2
MAX_RETENTION_YEARS = 30


@dataclass(frozen=True)
class ComplaintSettings(
    Record,
    read={
        "accept_days": int,
        "conclude_days": int,
        "extension_days": int,
        "near_due_days": int,
        "conduct_categories": tuple,
        "retention_years": int,
    },
):
    """`complaints:` in questionnaire.yaml: deadlines in working days, the routing, and how
    long personal fields are kept."""

    accept_days: int = 5
    conclude_days: int = 30
    extension_days: int = 20
    near_due_days: int = 2  # working days left before a deadline counts as near
    conduct_categories: tuple[str, ...] = DEFAULT_CONDUCT_CATEGORIES
    # Whole years after a complaint is concluded (or refused) that its personal fields are kept;
    # then `manyi complaints purge` removes them and keeps what the figures count. Two: a
    # complainant's review or lawsuit ends within six months, and the year's 法治政府 assessment
    # (early the next year) may read how a complaint was handled; beyond that nothing needs a
    # name or an account of events (个人信息保护法 第十九条: the shortest time necessary).
    retention_years: int = DEFAULT_RETENTION_YEARS

    def about(self, category: str) -> About:
        return "conduct" if category in self.conduct_categories else "action"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self:
        """Settings as a version file keeps them; none (a file from before complaints): the
        defaults. A file from before the retention setting takes its default."""
        return super().from_dict(data) if data else cls()
