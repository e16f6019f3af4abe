"""The rows and labels that every output of a month shows, made once.

A table is a list of columns and rows of cells; CSV, XLSX and (coming) the Word report write
the same rows. Every text cell that goes into a spreadsheet passes through `safe_cell`: a
spreadsheet runs a cell that starts with = + - @, a tab or a carriage return as a formula
(OWASP "CSV injection"), so such a text gets a leading apostrophe and is shown, never run.
Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from manyi.aggregate import RESPONDENT_QUESTION, Counts
from manyi.calendar import OfficeCalendar
from manyi.figures import (
    DepartmentFigures,
    FigureFlag,
    OptionFigure,
    QuestionFigures,
    RankedDepartment,
    question_figures,
    ratio,
)
from manyi.model import DEPARTMENT_KINDS, Questionnaire
from manyi.reports.view import MonthView
from manyi.selection import ENTRY_TEXT, entry_counts

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
STATUS_TEXT = {"open": "统计中（未关账）", "closed": "已关账"}
# What a department shows where its name or kind would be, once questionnaire.yaml drops it.
UNLISTED = "已不在问卷中"

Cell = str | int | float | None


SMALL_SAMPLE = "样本不足"


def flag_text(figures: DepartmentFigures, flag: FigureFlag) -> str:
    """Why a department's figures deserve doubt, in a few words."""
    if flag == "coverage_above_100":
        return "测评率超过100%，请核对服务对象数"
    if flag == "served_changed_late":
        return "服务对象数在20日后改动"
    return f"{SMALL_SAMPLE}（少于{figures.min_sample}份，不排名）"


def flags_text(figures: DepartmentFigures) -> str:
    return "；".join(flag_text(figures, f) for f in figures.flags)


def rank_cell(ranked: RankedDepartment) -> int | str | None:
    """A rank, or 样本不足 for a department with a value but too few answers to rank."""
    return SMALL_SAMPLE if ranked.small_sample else ranked.rank


def safe_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def percent(value: float | None, digits: int = 1) -> str:
    """A rate as people read it: 14.3%, or — when there is no denominator."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def departments_shown(
    view: MonthView, department: str | None = None
) -> tuple[DepartmentFigures, ...]:
    """Every department of the month, or only the one asked for (`--department`)."""
    return tuple(d for d in view.city.departments if department in (None, d.department.id))


def office_time(questionnaire: Questionnaire, moment: str) -> str:
    """A stored UTC timestamp as the office reads it: its own date and time, to the minute."""
    zone = OfficeCalendar.of(questionnaire.reporting).zone
    return f"{datetime.fromisoformat(moment).astimezone(zone):%Y-%m-%d %H:%M}"


def unlisted_warning(departments: Sequence[str]) -> str:
    return (
        f"注意：部门 {'、'.join(departments)} 已不在 questionnaire.yaml 中；"
        "其数据照常统计，按部门编号显示"
    )


# -- the close record: who closed and reopened the month, when and why ---------------------

CLOSE_EVENT_COLUMNS = ["时间", "操作", "操作人", "原因"]
ACTION_TEXT = {"close": "关账", "reopen": "重新开账"}


def close_event_rows(questionnaire: Questionnaire, view: MonthView) -> list[list[Cell]]:
    return [
        [
            office_time(questionnaire, e.at),
            ACTION_TEXT[e.action] + ("（提前关账）" if e.early else ""),
            e.by,
            e.reason or "—",
        ]
        for e in view.close_events
    ]


# -- labels: what a person reads where the data holds an ID ---------------------------------


def channel_label(questionnaire: Questionnaire, channel_id: str) -> str:
    channel = questionnaire.channel(channel_id)
    return channel_id if channel is None else channel.name


def respondent_label(questionnaire: Questionnaire, option_id: str) -> str:
    question = questionnaire.question(RESPONDENT_QUESTION)
    option = None if question is None else question.option(option_id)
    return option_id if option is None else option.text


def version_label(questionnaire: Questionnaire, version: str) -> str:
    """现行版本 or 此前版本, with the version beside it (pages and responses carry it)."""
    return f"{'现行版本' if version == questionnaire.version else '此前版本'}（{version}）"


def breakdowns(
    questionnaire: Questionnaire, counts: Counts
) -> list[tuple[str, list[tuple[str, int]]]]:
    """How the responses came in, as (title, [(label, responses)]): by channel, by who
    answered, by questionnaire version."""
    q = questionnaire
    entries = entry_counts(q, counts)
    return [
        (
            "填写方式",
            [
                (f"{ENTRY_TEXT[e]}（{percent(ratio(n, counts.responses))}）", n)
                for e, n in entries.items()
            ],
        ),
        ("填写渠道", [(channel_label(q, k), n) for k, n in counts.channels.items()]),
        ("答题人身份", [(respondent_label(q, k), n) for k, n in counts.respondent_types.items()]),
        ("问卷版本", [(version_label(q, k), n) for k, n in counts.versions.items()]),
    ]


def problem_label(questionnaire: Questionnaire, question_id: str, option: OptionFigure) -> str:
    """What a problem rate counts: the option itself where it names a problem (越权执法), the
    answer given where a yes/no answer reports one (答“没有”: Q4's 没有 is the problem)."""
    question = questionnaire.question(question_id)
    return (
        option.text
        if question is not None and question.kind == "multiple"
        else f"答“{option.text}”"
    )


def problem_rates_text(questionnaire: Questionnaire, question: QuestionFigures) -> str:
    """A question's problem rates in one sentence that says what they count."""
    rates = "；".join(
        f"{problem_label(questionnaire, question.id, o)} {percent(o.share)}"
        for o in question.problem_rates
    )
    return f"问题率（选该项的人数 ÷ 答题人数）：{rates}"


# -- the summary table: one row per department (CSV, the XLSX city sheet) ----------------


def percent_number(value: float | None) -> float | None:
    """A rate as a percentage with two decimals, for the CSV that people open in a spreadsheet."""
    return None if value is None else round(value * 100, 2)


def _yes_no(flag: bool | None) -> str:
    return {True: "否", False: "是", None: "未填报服务对象数"}[flag]


def summary_columns(questionnaire: Questionnaire) -> list[str]:
    """The table's headers; a rate's header says (%), the XLSX shows the same as a percentage."""
    figures_of = _template_figures(questionnaire)
    columns = [
        "部门编号", "部门名称", "类别", "月份", "状态", "有效问卷数", "关账后收到问卷数",
        "管理和服务对象总数", "测评率(%)", "测评率达标", "满意度指数", "综合满意率(%)",
        "满意度指数排名", "测评率排名", "存疑说明", "自主填写问卷数", "代录问卷数",
        "自主填写占比(%)",
    ]  # fmt: skip
    columns += [f"{q.label}满意率(%)" for q in figures_of if q.satisfaction_scale]
    columns += [
        f"{q.label}问题率(%)：{problem_label(questionnaire, q.id, o)}"
        for q in figures_of
        for o in q.problem_rates
    ]
    return columns


def _template_figures(questionnaire: Questionnaire) -> Sequence[QuestionFigures]:
    return question_figures(questionnaire, Counts())


def summary_rows(
    questionnaire: Questionnaire, view: MonthView, department: str | None = None
) -> list[list[Cell]]:
    city = view.city
    index_rank = {r.figures.department.id: rank_cell(r) for r in city.by_index}
    coverage_rank = {r.figures.department.id: rank_cell(r) for r in city.by_coverage}
    known = {q.id for q in questionnaire.questions}
    rows: list[list[Cell]] = []
    for d in departments_shown(view, department):
        questions = [q for q in d.questions if q.id in known]
        row: list[Cell] = [
            d.department.id,
            d.department.name,
            UNLISTED if d.department.id in view.unlisted else DEPARTMENT_KINDS[d.department.kind],
            d.month,
            STATUS_TEXT[view.status],
            d.responses,
            d.late.responses,
            d.served,
            percent_number(d.coverage),
            _yes_no(d.below_target),
            rounded(d.satisfaction_index, 2),
            percent_number(d.satisfaction_rate),
            index_rank[d.department.id],
            coverage_rank[d.department.id],
            flags_text(d),
            d.entries["self"],
            d.entries["staff"],
            percent_number(d.entry_share("self")),
        ]
        row += [percent_number(q.satisfaction_rate) for q in questions if q.satisfaction_scale]
        row += [percent_number(o.share) for q in questions for o in q.problem_rates]
        rows.append(row)
    return rows


OPTION_COLUMNS = [
    "部门编号", "部门名称", "月份", "题号", "题目", "选项编号", "选项", "人数", "答题人数",
    "占比(%)",
]  # fmt: skip


def option_rows(view: MonthView, department: str | None = None) -> list[list[Cell]]:
    """One row per department, question and option: every count of the month, in long form."""
    rows: list[list[Cell]] = []
    for d in departments_shown(view, department):
        for q in d.questions:
            for o in q.options:
                rows.append([
                    d.department.id, d.department.name, d.month, q.label, q.text, o.id, o.text,
                    o.count, q.answered, percent_number(o.share),
                ])  # fmt: skip
    return rows
