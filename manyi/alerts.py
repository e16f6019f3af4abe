"""Warnings before the 28th: which departments will miss the target, are silent, or moved sharply.

Computed per department on the office's alert days (`reporting.alert_days`, the 10th and 20th)
and on demand (`manyi alerts`, the workspace), from the figures only:

- pace: coverage at the close if the current pace holds (`manyi.pace`) below the target;
- silent: no response yet this month;
- a problem rate that rose sharply: this month's count x of n answers against the rate of the
  department's previous 3 months (pooled), by an exact one-sided binomial test,
  P(X ≥ x | n, p0) < 0.01, with p0 = (X0 + ½) / (N0 + 1) so that a baseline of no problem at
  all still has a rate; only with at least `MIN_ANSWERED` answers and `MIN_COUNT` reports this
  month and `MIN_BASELINE` answers before, so that 2 answers out of 3 never raise an alarm;
- satisfaction that fell sharply: the satisfaction rate (favourable of rated answers, which the
  index follows) below the previous 3 months' by a one-sided two-proportion z-test, p < 0.01,
  with at least `MIN_ANSWERED` rated answers this month and `MIN_BASELINE` before.

Each warning says what, by how much, against what, and what to do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from manyi.calendar import OfficeCalendar, previous_month
from manyi.figures import CitySummary, DepartmentFigures, ratio
from manyi.model import Department, Questionnaire
from manyi.pace import pace
from manyi.reports.tables import percent, problem_label
from manyi.reports.view import month_city
from manyi.store.results.base import ResultsStore

AlertKind = Literal["pace", "silent", "problem_rise", "satisfaction_fall"]
SIGNIFICANCE = 0.01
BASELINE_MONTHS = 3
MIN_ANSWERED = 20  # answers to the question this month
MIN_COUNT = 5  # reports of the problem this month
MIN_BASELINE = 30  # answers to the question in the previous months together


@dataclass(frozen=True)
class Alert:
    department: Department
    kind: AlertKind
    what: str
    how_much: str
    against: str
    action: str
    p_value: float | None = None

    @property
    def text(self) -> str:
        return (
            f"{self.department.name}：{self.what}，{self.how_much}（{self.against}）。{self.action}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "department": self.department.id,
            "department_name": self.department.name,
            "kind": self.kind,
            "what": self.what,
            "how_much": self.how_much,
            "against": self.against,
            "action": self.action,
            "p_value": self.p_value,
            "text": self.text,
        }


def is_alert_day(questionnaire: Questionnaire, now: datetime) -> bool:
    day = OfficeCalendar.of(questionnaire.reporting).today(now).day
    return day in questionnaire.reporting.alert_days


# -- the tests ---------------------------------------------------------------------------


def binomial_upper_tail(x: int, n: int, p: float) -> float:
    """P(X ≥ x) for X ~ Binomial(n, p), summed exactly in log space."""
    if x <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for k in range(x, n + 1):
        log_pmf = (
            math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * log_p + (n - k) * log_q
        )  # fmt: skip
        total += math.exp(log_pmf)
    return min(total, 1.0)


def two_proportion_lower(x1: int, n1: int, x0: int, n0: int) -> float:
    """One-sided p-value that the proportion x1/n1 is below x0/n0 (pooled z-test)."""
    pooled = (x1 + x0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x0 / n0) / se
    return 0.5 * math.erfc(-z / math.sqrt(2))


# -- a department's warnings ---------------------------------------------------------------


def department_alerts(
    questionnaire: Questionnaire,
    figures: DepartmentFigures,
    baseline: Sequence[DepartmentFigures],
    now: datetime,
    *,
    closed: bool = False,
) -> list[Alert]:
    """`baseline`: the department's figures of the previous months (up to 3)."""
    alerts: list[Alert] = []
    d = figures.department
    reporting = questionnaire.reporting
    target = reporting.coverage_target
    expected = pace(figures.month, figures.responses, figures.served, reporting, now, closed=closed)
    close_date = f"{expected.close_date.month}月{expected.close_date.day}日"
    if figures.responses == 0 and expected.started and not expected.over:
        alerts.append(
            Alert(
                d,
                "silent",
                "本月还没有收到问卷",
                "0份" + ("，也未填报服务对象数" if figures.served is None else ""),
                f"距{close_date}关账还有{expected.days_left}天",
                "请尽快通过宣传彩页二维码、电话回访、座谈等渠道发放问卷，并在工作台填报服务对象数。",
            )
        )
    elif (
        expected.started
        and not expected.over
        and figures.served
        and expected.projected_coverage is not None
        and expected.projected_coverage < target
    ):
        needed = max(0, math.ceil(target * figures.served) - figures.responses)
        per_day = math.ceil(needed / max(expected.days_left, 1))
        alerts.append(
            Alert(
                d,
                "pace",
                "按目前进度关账时测评率达不到目标",
                f"目前{figures.responses}份，测评率{percent(figures.coverage)}，"
                f"预计关账时{percent(expected.projected_coverage)}",
                f"目标{percent(target, 0)}，服务对象{figures.served}人次",
                f"{close_date}关账前还需约{needed}份（每天约{per_day}份）；"
                "如服务对象数填报有误，请先核对。",
            )
        )
    alerts += _problem_rises(questionnaire, figures, baseline)
    alerts += _satisfaction_fall(figures, baseline)
    return alerts


def _problem_rises(
    questionnaire: Questionnaire, figures: DepartmentFigures, baseline: Sequence[DepartmentFigures]
) -> list[Alert]:
    out = []
    for question in figures.questions:
        before = [q for b in baseline for q in b.questions if q.id == question.id]
        n0 = sum(q.answered for q in before)
        for option in question.problem_rates:
            x, n = option.count, question.answered
            if n < MIN_ANSWERED or x < MIN_COUNT or n0 < MIN_BASELINE:
                continue
            x0 = sum(o.count for q in before for o in q.problem_rates if o.id == option.id)
            p0 = (x0 + 0.5) / (n0 + 1)
            if x / n <= x0 / n0:
                continue
            p_value = binomial_upper_tail(x, n, p0)
            if p_value >= SIGNIFICANCE:
                continue
            label = f"{question.label}{problem_label(questionnaire, question.id, option)}"
            out.append(
                Alert(
                    figures.department,
                    "problem_rise",
                    f"{label}的比例明显上升",
                    f"本月{n}人中{x}人（{percent(x / n)}）",
                    f"前{len(baseline)}个月{n0}人中{x0}人（{percent(ratio(x0, n0))}），"
                    f"二项检验 p={p_value:.1g}",
                    "请核查相关执法、收费情况，必要时回访反映问题的服务对象，及早整改。",
                    p_value,
                )
            )
    return out


def _satisfaction_fall(
    figures: DepartmentFigures, baseline: Sequence[DepartmentFigures]
) -> list[Alert]:
    def rated(f: DepartmentFigures) -> tuple[int, int]:
        favourable = total = 0
        for q in f.questions:
            if q.satisfaction_scale:
                for o in q.options:
                    if o.valence != "neutral":
                        total += o.count
                        favourable += o.count if o.valence == "favourable" else 0
        return favourable, total

    x1, n1 = rated(figures)
    pairs = [rated(b) for b in baseline]
    x0, n0 = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    if n1 < MIN_ANSWERED or n0 < MIN_BASELINE or x1 / n1 >= x0 / n0:
        return []
    p_value = two_proportion_lower(x1, n1, x0, n0)
    if p_value >= SIGNIFICANCE:
        return []
    return [
        Alert(
            figures.department,
            "satisfaction_fall",
            "满意率明显下降",
            f"本月{percent(x1 / n1)}（{n1}个评价），满意度指数"
            + ("—" if figures.satisfaction_index is None else f"{figures.satisfaction_index:.1f}"),
            f"前{len(baseline)}个月{percent(x0 / n0)}（{n0}个评价），两比例检验 p={p_value:.1g}",
            "请查看工作台中各题满意率，找出不满意集中的题目和环节，分析原因。",
            p_value,
        )
    ]


# -- a month's warnings ------------------------------------------------------------------


def month_alerts(
    questionnaire: Questionnaire,
    store: ResultsStore,
    month: str,
    now: datetime,
    department: str | None = None,
) -> list[Alert]:
    """Every warning of the month (or one department's), most urgent kind first."""
    city = month_city(questionnaire, store, month)
    earlier: list[CitySummary] = []
    before = month
    for _ in range(BASELINE_MONTHS):
        before = previous_month(before)
        earlier.append(month_city(questionnaire, store, before))
    closed = store.month_close(month) is not None
    alerts = []
    for figures in city.departments:
        if department not in (None, figures.department.id):
            continue
        if questionnaire.department(figures.department.id) is None:
            continue  # no longer listed: nobody to warn
        baseline = [
            d for c in earlier for d in c.departments if d.department.id == figures.department.id
        ]
        baseline = [b for b in baseline if b.responses]
        alerts += department_alerts(questionnaire, figures, baseline, now, closed=closed)
    order = {"silent": 0, "pace": 1, "problem_rise": 2, "satisfaction_fall": 3}
    return sorted(alerts, key=lambda a: order[a.kind])
