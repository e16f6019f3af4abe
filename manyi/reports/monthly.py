"""The monthly report the office hands up, as content: title, sections, captioned tables.

One content, two renderers: Word (`word.py`, python-docx) and the printable HTML
(`html_report.py`). The city's report keeps to what the office reads across departments —
a written summary, the two rankings with their change from last month (环比), the problem rates
of every department in one table — and leaves each department's detail to that department's
own report (1–3 pages), so that the city's prints on at most 12 A4 pages for 38 departments.
The summary is written from the figures only; tests check its sentences against them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date

from manyi.calendar import previous_month
from manyi.figures import CitySummary, DepartmentFigures, QuestionFigures, RankedDepartment, ratio
from manyi.model import Questionnaire
from manyi.reports.integrity_section import integrity_section
from manyi.reports.sections import (
    Cell,
    ReportSection,
    ReportTable,
    SectionProviders,
    provided_sections,
)
from manyi.reports.tables import SMALL_SAMPLE, UNLISTED, flag_text, percent, problem_label
from manyi.reports.view import MonthView
from manyi.selection import ENTRY_TEXT

CHINESE_NUMBERS = "一二三四五六七八九十"
# How many departments the summary names as best and weakest.
NAMED = 3
# How many problems the summary names as most reported.
TOP_PROBLEMS = 3
SMALL_MARK = "*"


@dataclass(frozen=True)
class MonthlyReport:
    title: str
    issuer: str
    issued: date | None  # None: not dated (a month still open, as the HTML report shows it)
    subtitle: str  # which responses it counts, and the month's status
    sections: Sequence[ReportSection]

    def numbered(self) -> list[tuple[str, ReportSection]]:
        """Each section with its number: 一、二、三…"""
        return [(f"{CHINESE_NUMBERS[i]}、", s) for i, s in enumerate(self.sections)]

    def tables(self) -> list[tuple[str, ReportTable]]:
        """Every table with its caption number: 表1, 表2… in order of appearance."""
        tables = [t for s in self.sections for t in s.tables]
        return [(f"表{i}", t) for i, t in enumerate(tables, start=1)]


def month_words(month: str) -> str:
    return f"{int(month[:4])}年{int(month[5:7])}月"


def previous_city(view: MonthView) -> CitySummary | None:
    """Last month's figures from the view's trend (None without data, or without a trend)."""
    wanted = previous_month(view.month)
    return next((c for c in view.trend if c.month == wanted), None)


# -- numbers as the report writes them ------------------------------------------------------


def number(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def index_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def change_points(now: float | None, before: float | None, *, percent_points: bool) -> str:
    """环比 as a signed difference: +1.2 (index points) or +3.4 个百分点 (rates)."""
    if now is None or before is None:
        return "—"
    diff = (now - before) * (100 if percent_points else 1)
    return f"{diff:+.1f}" + ("个百分点" if percent_points else "")


def change_words(now: float | None, before: float | None, *, percent_points: bool) -> str:
    """环比 in a sentence: 较上月上升1.2 / 下降0.4个百分点 / 与上月持平 / 上月无数据."""
    if now is None:
        return ""
    if before is None:
        return "（上月无可比数据）"
    diff = (now - before) * (100 if percent_points else 1)
    unit = "个百分点" if percent_points else ""
    if round(diff, 1) == 0:
        return "，与上月持平"
    return f"，较上月{'上升' if diff > 0 else '下降'}{abs(diff):.1f}{unit}"


def date_words(day: date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def names(departments: Sequence[DepartmentFigures]) -> str:
    return "、".join(d.department.name for d in departments)


# -- problems ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemColumn:
    question: str
    option: str
    label: str  # full: 第3题 乱收费、乱罚款
    short: str  # the column head: 3④


CIRCLED = "①②③④⑤⑥⑦⑧⑨"


def problem_columns(questionnaire: Questionnaire, city: CitySummary) -> list[ProblemColumn]:
    out = []
    for question in city.questions:
        if question.id not in {q.id for q in questionnaire.questions}:
            continue
        for i, option in enumerate(question.problem_rates):
            mark = CIRCLED[i] if len(question.problem_rates) > 1 else ""
            label = f"{question.label} {problem_label(questionnaire, question.id, option)}"
            out.append(ProblemColumn(question.id, option.id, label, _short_label(question) + mark))
    return out


def _short_label(question: QuestionFigures) -> str:
    return question.label.replace("第", "").replace("题", "")


def _problem_share(questions: Sequence[QuestionFigures], column: ProblemColumn) -> tuple[int, int]:
    """(respondents reporting the column's problem, respondents answering its question)."""
    for question in questions:
        if question.id == column.question:
            for option in question.problem_rates:
                if option.id == column.option:
                    return option.count, question.answered
    return 0, 0


def top_problems(
    questionnaire: Questionnaire, city: CitySummary, n: int = TOP_PROBLEMS
) -> list[tuple[str, int, float]]:
    """The problems most often reported across the city: (label, respondents, rate)."""
    found = []
    for question in city.questions:
        for option in question.problem_rates:
            if option.count and option.share is not None:
                label = problem_label(questionnaire, question.id, option)
                found.append((f"{question.label}{label}", option.count, option.share))
    return sorted(found, key=lambda p: (-p[2], -p[1], p[0]))[:n]


# -- the summary -----------------------------------------------------------------------------


def summary_paragraphs(
    questionnaire: Questionnaire, city: CitySummary, previous: CitySummary | None
) -> list[str]:
    """The 总体情况 in sentences, every number taken from the figures."""
    target = questionnaire.reporting.coverage_target
    min_sample = questionnaire.reporting.min_sample
    departments = city.departments
    answering = [d for d in departments if d.responses]
    total = city.total.responses
    entries = {e: sum(d.entries.get(e, 0) for d in departments) for e in ENTRY_TEXT}
    split = "、".join(
        f"{ENTRY_TEXT[e]}{number(n)}份（{percent(ratio(n, total))}）" for e, n in entries.items()
    )
    before = previous.total.responses if previous is not None else None
    out = [
        f"{month_words(city.month)}，全市{len(departments)}个部门中有{len(answering)}个部门收回"
        f"有效问卷，共{number(total)}份"
        + (f"（上月{number(before)}份）" if before is not None else "")
        + (f"，其中{split}。" if total else "。")
    ]
    with_served = [d for d in departments if d.served is not None]
    if city.coverage is not None:
        reached = "达到" if city.coverage >= target else "低于"
        out.append(
            f"已填报服务对象数的{len(with_served)}个部门共服务{number(city.served)}人次，"
            f"测评率{percent(city.coverage)}，{reached}{percent(target, 0)}的目标"
            + change_words(
                city.coverage, previous.coverage if previous else None, percent_points=True
            )
            + f"。{len(departments) - len(with_served)}个部门未填报服务对象数。"
        )
    else:
        out.append("本月各部门均未填报服务对象数，无法计算测评率。")
    if city.satisfaction_index is not None:
        out.append(
            f"全市满意度指数{index_text(city.satisfaction_index)}"
            + change_words(
                city.satisfaction_index,
                previous.satisfaction_index if previous else None,
                percent_points=False,
            )
            + f"；综合满意率{percent(city.satisfaction_rate)}。"
        )
    ranked = [r for r in city.by_index if r.rank is not None]
    if ranked:
        best = ranked[:NAMED]
        weakest = list(reversed(ranked[-NAMED:])) if len(ranked) > NAMED else []
        sentence = "满意度指数最高的部门是" + _ranked_names(best)
        if weakest:
            sentence += "；最低的是" + _ranked_names(weakest)
        out.append(sentence + "。")
    small = [r.figures for r in city.by_index if r.small_sample] + [
        d for d in departments if 0 < d.responses < min_sample and d.satisfaction_index is None
    ]
    if small:
        out.append(
            f"{len(small)}个部门有效问卷不足{min_sample}份（{SMALL_SAMPLE}），"
            f"列出但不参加排名：{names(small)}。"
        )
    problems = top_problems(questionnaire, city)
    if problems:
        out.append(
            "群众反映最多的问题是："
            + "；".join(f"{label}，{number(n)}人（{percent(rate)}）" for label, n, rate in problems)
            + "。"
        )
    silent = [d for d in departments if d.responses == 0]
    lagging = [d for d in departments if d.below_target]
    if silent:
        out.append(f"本月没有收回问卷的部门{len(silent)}个：{names(silent)}。")
    if lagging:
        out.append(
            f"测评率未达到{percent(target, 0)}的部门{len(lagging)}个："
            + "、".join(f"{d.department.name}（{percent(d.coverage)}）" for d in lagging)
            + "。"
        )
    doubtful = [d for d in departments if set(d.flags) - {"small_sample"}]
    if doubtful:
        out.append(
            "以下数字请核实："
            + "；".join(
                f"{d.department.name}"
                + "，".join(flag_text(d, f) for f in d.flags if f != "small_sample")
                for d in doubtful
            )
            + "。"
        )
    return out


def _ranked_names(ranked: Sequence[RankedDepartment]) -> str:
    return "、".join(f"{r.figures.department.name}（{index_text(r.value)}）" for r in ranked)


# -- the tables --------------------------------------------------------------------------


def _before(previous: CitySummary | None) -> dict[str, DepartmentFigures]:
    return {} if previous is None else {d.department.id: d for d in previous.departments}


def _name(d: DepartmentFigures, unlisted: Collection[str]) -> str:
    return d.department.name + (f"（{UNLISTED}）" if d.department.id in unlisted else "")


def _rank_text(r: RankedDepartment) -> str:
    if r.small_sample:
        return SMALL_SAMPLE
    return "—" if r.rank is None else str(r.rank)


def index_ranking_table(
    city: CitySummary, previous: CitySummary | None, unlisted: Collection[str] = ()
) -> ReportTable:
    before = _before(previous)
    previous_rank = (
        {} if previous is None else {r.figures.department.id: r.rank for r in previous.by_index}
    )
    rows: list[list[Cell]] = []
    for r in city.by_index:
        d = r.figures
        last = before.get(d.department.id)
        last_index = last.satisfaction_index if last else None
        rank_before = previous_rank.get(d.department.id)
        rows.append([
            _rank_text(r), _name(d, unlisted), number(d.responses), index_text(r.value),
            index_text(last_index), change_points(r.value, last_index, percent_points=False),
            "—" if rank_before is None else str(rank_before),
        ])  # fmt: skip
    return ReportTable(
        "各部门满意度指数排名",
        ["排名", "部门", "有效问卷", "满意度指数", "上月指数", "环比", "上月排名"],
        rows,
        notes=[
            "满意度指数：满意100分、基本满意80分、不满意0分，“不了解”不计分，取平均；"
            "环比为本月减上月。有效问卷不足最低样本量的部门标“样本不足”，不参加排名。"
        ],
        widths=[0.09, 0.35, 0.11, 0.12, 0.11, 0.11, 0.11],
        muted_rows=frozenset(i for i, r in enumerate(city.by_index) if r.rank is None),
    )


def coverage_ranking_table(
    city: CitySummary, previous: CitySummary | None, target: float, unlisted: Collection[str] = ()
) -> ReportTable:
    before = _before(previous)
    rows: list[list[Cell]] = []
    for r in city.by_coverage:
        d = r.figures
        last = before.get(d.department.id)
        last_coverage = last.coverage if last else None
        mark = "（未达标）" if d.below_target else ""
        rows.append([
            _rank_text(r), _name(d, unlisted), number(d.responses), number(d.served),
            percent(d.coverage) + mark, percent(last_coverage),
            _points(d.coverage, last_coverage),
        ])  # fmt: skip
    return ReportTable(
        "各部门测评率排名",
        ["排名", "部门", "有效问卷", "服务对象数", "测评率", "上月", "环比（百分点）"],
        rows,
        notes=[
            f"测评率 = 有效问卷 ÷ 管理和服务对象数，目标{percent(target, 0)}；"
            "“—”为未填报服务对象数。"
        ],
        widths=[0.09, 0.33, 0.11, 0.12, 0.15, 0.09, 0.11],
        muted_rows=frozenset(i for i, r in enumerate(city.by_coverage) if r.rank is None),
    )


def _percent_figure(part: int, whole: int) -> str:
    """A rate in a table whose unit is %: 23 (not 23%, so that 19 columns fit a page)."""
    rate = ratio(part, whole)
    return "—" if rate is None else f"{rate * 100:.0f}"


def problem_rate_table(
    questionnaire: Questionnaire, city: CitySummary, unlisted: Collection[str] = ()
) -> ReportTable:
    columns = problem_columns(questionnaire, city)
    rows: list[list[Cell]] = []
    muted = set()
    shown = [d for d in city.departments if d.responses]
    for i, d in enumerate(shown):
        name = _name(d, unlisted) + (SMALL_MARK if d.small_sample else "")
        if d.small_sample:
            muted.add(i)
        cells: list[Cell] = [name, number(d.responses)]
        for column in columns:
            n, answered = _problem_share(d.questions, column)
            cells.append(_percent_figure(n, answered))
        rows.append(cells)
    total_cells: list[Cell] = ["全市", number(city.total.responses)]
    for column in columns:
        total_cells.append(_percent_figure(*_problem_share(city.questions, column)))
    rows.append(total_cells)
    legend = "；".join(f"{c.short}：{c.label}" for c in columns)
    width = 0.74 / max(len(columns), 1)
    return ReportTable(
        "各部门问题发生率",
        ["部门", "问卷", *[c.short for c in columns]],
        rows,
        notes=[
            "单位：%。问题发生率 = 选该项的人数 ÷ 答该题的人数；“—”为无人答该题。"
            f"{SMALL_MARK}有效问卷不足{questionnaire.reporting.min_sample}份，比例仅供参考。"
            "没有收回问卷的部门未列入。",
            "列：" + legend + "。",
        ],
        widths=[0.20, 0.06, *([width] * len(columns))],
        landscape=True,
        muted_rows=frozenset(muted),
    )


# -- the reports -------------------------------------------------------------------------


def city_report(
    questionnaire: Questionnaire,
    view: MonthView,
    issued: date | None,
    providers: SectionProviders | None = None,
) -> MonthlyReport:
    city = view.city
    previous = previous_city(view)
    target = questionnaire.reporting.coverage_target
    sections = [
        ReportSection("总体情况", summary_paragraphs(questionnaire, city, previous)),
        ReportSection(
            "各部门排名情况",
            ["按满意度指数、测评率分别排名；同分同名次。"],
            [
                index_ranking_table(city, previous, view.unlisted),
                coverage_ranking_table(city, previous, target, view.unlisted),
            ],
        ),
        ReportSection(
            "问题发生率",
            ["下表按部门列出问卷中每一类问题的发生率，便于横向比较、查找薄弱环节。"],
            [problem_rate_table(questionnaire, city, view.unlisted)],
        ),
        *provided_sections(providers or {}, view.month, None),
        *([flagged] if (flagged := integrity_section(view)) else []),
        ReportSection("工作要求", _requests(questionnaire, city)),
    ]
    return MonthlyReport(
        title=f"{month_words(view.month)}全市行政执法满意度测评情况通报",
        issuer=questionnaire.office.name,
        issued=issued,
        subtitle=_subtitle(questionnaire, view),
        sections=sections,
    )


def _subtitle(questionnaire: Questionnaire, view: MonthView) -> str:
    status = "已关账" if view.closed else "统计中，数字可能变化"
    return f"（{view.selection.label(questionnaire)}；{status}）"


def _requests(questionnaire: Questionnaire, city: CitySummary) -> list[str]:
    target = percent(questionnaire.reporting.coverage_target, 0)
    close_day = questionnaire.reporting.close_day
    out = [
        f"各部门要对照本通报查找问题，测评率未达到{target}的部门要扩大发放范围，"
        f"于每月{close_day}日前完成测评，确保服务对象测评率不低于{target}。"
    ]
    if any(d.served is None for d in city.departments):
        out.append("未填报服务对象数的部门要在工作台及时填报，否则无法计算测评率。")
    out.append("问题发生率较高的部门要逐项分析原因，制定整改措施，将问题解决在萌芽状态。")
    return out


def department_report(
    questionnaire: Questionnaire,
    view: MonthView,
    department: str,
    issued: date,
    providers: SectionProviders | None = None,
    *,
    with_city: bool = True,
) -> MonthlyReport:
    """One department's report: its figures against last month and, for the office, against
    the city and the other departments (its ranks), 1–3 pages. `with_city=False` is what the
    department itself downloads: nothing in it depends on another department's data."""
    city = view.city
    previous = previous_city(view)
    d = next(x for x in city.departments if x.department.id == department)
    last = _before(previous).get(department)
    index_rank = next(r for r in city.by_index if r.figures.department.id == department)
    coverage_rank = next(r for r in city.by_coverage if r.figures.department.id == department)
    ranked = sum(1 for r in city.by_index if r.rank is not None)
    summary = _department_summary(questionnaire, d, last, index_rank if with_city else None, ranked)
    figures = _department_figures_table(d, last, index_rank, coverage_rank, city)
    if not with_city:
        figures = _without_city(figures)
    sections = [
        ReportSection("基本情况", summary),
        ReportSection(
            "主要数据",
            tables=[
                figures,
                _department_questions_table(questionnaire, d, last),
            ],
        ),
        *provided_sections(providers or {}, view.month, department),
    ]
    return MonthlyReport(
        title=f"{d.department.name}{month_words(view.month)}行政执法满意度测评情况",
        issuer=questionnaire.office.name,
        issued=issued,
        subtitle=_subtitle(questionnaire, view),
        sections=sections,
    )


def _department_summary(
    questionnaire: Questionnaire,
    d: DepartmentFigures,
    last: DepartmentFigures | None,
    index_rank: RankedDepartment | None,
    ranked: int,
) -> list[str]:
    target = questionnaire.reporting.coverage_target
    out = [
        f"{month_words(d.month)}，本部门收回有效问卷{number(d.responses)}份"
        + (f"（上月{number(last.responses)}份）" if last else "")
        + "，其中"
        + "、".join(
            f"{ENTRY_TEXT[e]}{number(d.entries.get(e, 0))}份（{percent(d.entry_share(e))}）"
            for e in ENTRY_TEXT
        )
        + "。"
    ]
    if d.served is None:
        out.append("本月未填报管理和服务对象数，无法计算测评率，请在工作台填报。")
    else:
        state = "达到" if not d.below_target else "未达到"
        out.append(
            f"管理和服务对象{number(d.served)}人次，测评率{percent(d.coverage)}，"
            f"{state}{percent(target, 0)}的目标"
            + change_words(d.coverage, last.coverage if last else None, percent_points=True)
            + "。"
        )
    if d.satisfaction_index is not None:
        if index_rank is None:
            place = ""  # the department's own copy: its place depends on the others
        elif index_rank.rank is not None:
            place = f"，在{ranked}个参加排名的部门中列第{index_rank.rank}名"
        else:
            place = f"，有效问卷不足{d.min_sample}份，{SMALL_SAMPLE}，不参加排名"
        out.append(
            f"满意度指数{index_text(d.satisfaction_index)}"
            + change_words(
                d.satisfaction_index, last.satisfaction_index if last else None,
                percent_points=False,
            )
            + f"{place}。"
        )  # fmt: skip
    problems = sorted(
        (
            (o.share, o.count, f"{q.label}{problem_label(questionnaire, q.id, o)}")
            for q in d.questions
            for o in q.problem_rates
            if o.count and o.share is not None
        ),
        key=lambda p: (-p[0], -p[1], p[2]),
    )[:TOP_PROBLEMS]
    if problems:
        out.append(
            "反映较多的问题："
            + "；".join(f"{label}，{n}人（{percent(s)}）" for s, n, label in problems)
            + "。"
        )
    flags = [flag_text(d, f) for f in d.flags]
    if flags:
        out.append("请注意：" + "；".join(flags) + "。")
    return out


def _department_figures_table(
    d: DepartmentFigures,
    last: DepartmentFigures | None,
    index_rank: RankedDepartment,
    coverage_rank: RankedDepartment,
    city: CitySummary,
) -> ReportTable:
    def row(name: str, now: str, before: str, change: str, whole: str) -> list[Cell]:
        return [name, now, before, change, whole]

    def compared(
        name: str, figure: str, show: Callable[[float | None], str], percent_points: bool
    ) -> list[Cell]:
        """A figure (an attribute of both figures and the city's) this month, last month, the
        change between them and the city's."""
        now, before = getattr(d, figure), getattr(last, figure) if last else None
        change = change_points(now, before, percent_points=percent_points)
        return row(name, show(now), show(before), change, show(getattr(city, figure)))

    return ReportTable(
        "主要指标",
        ["指标", "本月", "上月", "环比", "全市"],
        [
            row(
                "有效问卷（份）", number(d.responses), number(last.responses if last else None),
                "—", number(city.total.responses),
            ),
            row("服务对象数", number(d.served), number(last.served if last else None), "—",
                number(city.served)),
            compared("测评率", "coverage", percent, True),
            compared("满意度指数", "satisfaction_index", index_text, False),
            compared("综合满意率", "satisfaction_rate", percent, True),
            row("满意度指数排名", _rank_text(index_rank), "—", "—", "—"),
            row("测评率排名", _rank_text(coverage_rank), "—", "—", "—"),
        ],
        widths=[0.28, 0.18, 0.18, 0.18, 0.18],
    )  # fmt: skip


def _without_city(table: ReportTable) -> ReportTable:
    """The figures table without the city's column and the rank rows."""
    rows = [row[:-1] for row in table.rows if not str(row[0]).endswith("排名")]
    return replace(table, columns=table.columns[:-1], rows=rows, widths=[0.34, 0.22, 0.22, 0.22])


def _department_questions_table(
    questionnaire: Questionnaire, d: DepartmentFigures, last: DepartmentFigures | None
) -> ReportTable:
    before = {q.id: q for q in last.questions} if last else {}
    known = {q.id for q in questionnaire.questions}
    rows: list[list[Cell]] = []
    for q in d.questions:
        if q.id not in known:
            continue
        if q.satisfaction_scale:
            was = before.get(q.id)
            was_rate = was.satisfaction_rate if was else None
            rows.append([
                f"{q.label} 满意率", number(q.answered), percent(q.satisfaction_rate),
                percent(was_rate),
                _points(q.satisfaction_rate, was_rate),
            ])  # fmt: skip
        for o in q.problem_rates:
            was_q = before.get(q.id)
            was_o = next((x for x in was_q.problem_rates if x.id == o.id), None) if was_q else None
            label = problem_label(questionnaire, q.id, o)
            rows.append([
                f"{q.label} {label}", number(q.answered), percent(o.share),
                percent(was_o.share if was_o else None),
                _points(o.share, was_o.share if was_o else None),
            ])  # fmt: skip
    return ReportTable(
        "各题满意率和问题发生率",
        ["题目", "答题人数", "本月", "上月", "环比（百分点）"],
        rows,
        notes=["满意率 = 满意和基本满意 ÷ 作出评价的人数（“不了解”不计）；问题发生率见表注。"],
        widths=[0.44, 0.14, 0.14, 0.14, 0.14],
    )


def _points(now: float | None, before: float | None) -> str:
    """环比 in a column headed （百分点）: +1.2, so that a row keeps to one line."""
    return change_points(now, before, percent_points=True).removesuffix("个百分点")
