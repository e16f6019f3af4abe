"""A department's own page: its month against its served count, the pace to the close, its
figures beside last month's, its served count (entered here, audited), its downloads and its
printed material. The office and viewers see the very same page."""

from __future__ import annotations

import io
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.alerts import month_alerts
from manyi.model import Department, Questionnaire
from manyi.reports.csv_export import options_csv, to_csv
from manyi.reports.files import CSV_TYPE, HTML_TYPE, XLSX_TYPE
from manyi.reports.json_export import department_json
from manyi.reports.tables import summary_columns, summary_rows
from manyi.reports.view import TREND_MONTHS, MonthView, month_view
from manyi.results.served_file import MAX_SERVED
from manyi.workspace.access import Call, message_page
from manyi.workspace.audit import served_target
from manyi.workspace.context import PREFIX
from manyi.workspace.dashboard import department_dashboard, department_view
from manyi.workspace.http import download
from manyi.workspace.months_param import month_of, recent_months
from manyi.workspace.pages.flags import flag_context, month_flags
from manyi.workspace.render import render
from manyi.workspace.reports import report_sections
from manyi.workspace.selection_param import dashboard_filter, respondent_choices

MAX_NOTE = 200
# Ranks compare departments: a department's own files carry none.
RANK_COLUMNS = ("满意度指数排名", "测评率排名")


def dashboard(call: Call, status: int = 200, problem: str = "") -> Response[str]:
    department = call.department()
    if department is None:
        return message_page(call, 404, "找不到部门", "没有这个部门。")
    now = call.ws.clock()
    month = month_of(call.request.query.get("month"), now, call.calendar())
    if call.request.method == "POST":  # shown again after a refused change: the month it named
        month = month_of(call.request.field("month"), now, call.calendar()) or month_of(
            None, now, call.calendar()
        )
    month, questionnaire, selection = dashboard_filter(call, month)
    board = department_dashboard(
        questionnaire, call.ws.results, call.ws.reports, department, month, now, selection
    )
    return call.page(
        "department.html.j2",
        status,
        title=f"{department.name} {month}",
        department=department,
        board=board,
        figures=board.figures,
        channels=_channels(
            questionnaire, board.figures.counts.channels, board.previous.counts.channels
        ),
        rates=_rates(board.figures, board.previous),
        problems=_problems(board.figures, board.previous),
        history=list(reversed(call.ws.staff.audit.history(served_target(month, department.id)))),
        months=recent_months(now, call.calendar()),
        may_edit=call.me.may_write(department.id),
        exports=EXPORTS,
        links=_links(call, questionnaire, department),
        target=questionnaire.reporting.coverage_target,
        close_day=questionnaire.reporting.close_day,
        problem=problem,
        max_note=MAX_NOTE,
        respondents=respondent_choices(questionnaire),
        selection_label=selection.label(questionnaire),
        alerts=[]
        if board.view.closed
        else month_alerts(questionnaire, call.ws.results, month, now, department.id),
        **flag_context(
            month_flags(
                questionnaire,
                call.ws.results,
                call.ws.pressure,
                call.ws.staff.audit,
                month,
                department.id,
            ),
            show_city=False,
        ),
    )


def served_set(call: Call) -> Response[str]:
    department = call.department()
    if department is None:
        return message_page(call, 404, "找不到部门", "没有这个部门。")
    now = call.ws.clock()
    month = month_of(call.request.field("month"), now, call.calendar())
    if month is None or month > call.calendar().month(now):
        return dashboard(call, 400, "只能填报本月或以前月份的服务对象数。")
    count = _count(call.request.field("count", 20))
    note = " ".join(call.request.field("note", 1000).split())
    if count is None:
        return dashboard(call, 400, f"服务对象数应为 0 至 {MAX_SERVED:,} 的整数。")
    if len(note) > MAX_NOTE:
        return dashboard(call, 400, f"说明最多 {MAX_NOTE} 个字。")
    results = call.ws.results
    if results.month_close(month) is not None:
        return dashboard(
            call, 409, f"{month} 已关账，报告保留关账时的数字。如需更正，请联系办公室重新开账。"
        )
    before = results.served(month).get(department.id)
    results.set_served({(month, department.id): count})
    call.audit(
        "served.set",
        served_target(month, department.id),
        before={"count": before},
        after={"count": count, "note": note},
        departments=(department.id,),
        now=now,
    )
    return call.back(f"{PREFIX}d/{department.id}/", "served", month=month)


def export(call: Call) -> Response[Any]:
    department = call.department()
    name = call.params["name"]
    month = month_of(call.params["month"], call.ws.clock(), call.calendar())
    if department is None or month is None or name not in EXPORTS:
        return message_page(call, 404, "找不到文件", "没有这个文件。")
    questionnaire = call.ws.questionnaire()
    if name == "report.docx":
        return _word_report(call, questionnaire, department, month)
    view = department_view(questionnaire, call.ws.results, month, department)
    data, content_type = EXPORTS[name][1](questionnaire, view, department)
    return download(data, content_type, f"manyi-{department.id}-{month}-{name}")


def _json(questionnaire: Questionnaire, view: MonthView, department: Department) -> bytes:
    body = {
        "month": view.month,
        "status": view.status,
        "closed_at": view.close.closed_at if view.close else None,
        "department": department_json(view.city.departments[0], view.status),
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


def _summary(questionnaire: Questionnaire, view: MonthView, department: Department) -> bytes:
    columns = summary_columns(questionnaire)
    blank = {columns.index(c) for c in RANK_COLUMNS}
    rows = [
        [None if i in blank else cell for i, cell in enumerate(row)]
        for row in summary_rows(questionnaire, view)
    ]
    return to_csv(rows, columns).encode("utf-8")


def _options(questionnaire: Questionnaire, view: MonthView, department: Department) -> bytes:
    return options_csv(view).encode("utf-8")


def _xlsx(questionnaire: Questionnaire, view: MonthView, department: Department) -> bytes:
    from openpyxl import Workbook

    from manyi.reports.workbook import fill_department_sheet, sheet_name

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(department.name, set())
    fill_department_sheet(sheet, questionnaire, view.city.departments[0], view)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _html(questionnaire: Questionnaire, view: MonthView, department: Department) -> bytes:
    figures = view.city.departments[0]
    page = render(
        "department_report.html.j2",
        {"q": questionnaire, "view": view, "figures": figures, "department": department},
    )
    return page.encode("utf-8")


def _word_report(
    call: Call, questionnaire: Questionnaire, department: Department, month: str
) -> Response[Any]:
    """The department's own Word report: its figures against its last month, nothing that
    depends on another department's data (no city column, no rank)."""
    from manyi.reports.word import DOCX_TYPE, department_docx  # python-docx: only when asked for

    view = month_view(questionnaire, call.ws.results, month, TREND_MONTHS)
    issued = call.calendar().today(call.ws.clock())
    # The department's own copy: nothing in it depends on another department's data.
    sections = report_sections(call.ws, questionnaire, complaints=False)
    data = department_docx(questionnaire, view, department.id, issued, sections, with_city=False)
    return download(data, DOCX_TYPE, f"manyi-{department.id}-{month}-report.docx")


EXPORTS: dict[str, tuple[str, Any]] = {
    "report.docx": ("Word 报告", None),
    "results.json": ("JSON", lambda q, v, d: (_json(q, v, d), "application/json")),
    "summary.csv": ("CSV（汇总）", lambda q, v, d: (_summary(q, v, d), CSV_TYPE)),
    "options.csv": ("CSV（各选项人数）", lambda q, v, d: (_options(q, v, d), CSV_TYPE)),
    "results.xlsx": ("Excel", lambda q, v, d: (_xlsx(q, v, d), XLSX_TYPE)),
    "report.html": ("网页报告", lambda q, v, d: (_html(q, v, d), HTML_TYPE)),
}


def _count(text: str) -> int | None:
    digits = text.replace(",", "").replace("，", "").strip()
    if not digits.isdigit() or not digits.isascii():
        return None
    value = int(digits)
    return value if 0 <= value <= MAX_SERVED else None


def _channels(questionnaire: Questionnaire, now: Any, before: Any) -> list[tuple[str, int, int]]:
    names = {c.id: c.name for c in questionnaire.channels}
    ids = [*names, *sorted((set(now) | set(before)) - set(names))]
    return [(names.get(i, i), now.get(i, 0), before.get(i, 0)) for i in ids]


def _rates(figures: Any, previous: Any) -> list[tuple[Any, Any]]:
    """Each satisfaction question of this month beside the same question last month."""
    earlier = {q.id: q for q in previous.questions if q.satisfaction_scale}
    return [(q, earlier.get(q.id)) for q in figures.questions if q.satisfaction_scale]


def _problems(figures: Any, previous: Any) -> list[dict[str, Any]]:
    """Each problem option with its rate and sample size, this month and last."""
    earlier = {
        (q.id, o.id): (o.share, q.answered) for q in previous.questions for o in q.problem_rates
    }
    rows = []
    for q in figures.questions:
        for o in q.problem_rates:
            share, answered = earlier.get((q.id, o.id), (None, 0))
            rows.append(
                {
                    "label": q.label,
                    "option": o.text,
                    "share": o.share,
                    "answered": q.answered,
                    "previous_share": share,
                    "previous_answered": answered,
                }
            )
    return rows


def _links(
    call: Call, questionnaire: Questionnaire, department: Department
) -> list[tuple[str, str]]:
    from site_builder.paths import channel_path, department_path, leaflet_path, public_channels

    site = call.ws.settings.site_url
    links = [
        (f"{site}{department_path(department)}", "问卷页面（宣传彩页二维码）"),
        (f"{site}{leaflet_path(department, 'a4')}", "宣传彩页（A4 打印）"),
        (f"{site}{leaflet_path(department, 'a5')}", "宣传彩页（A5 打印）"),
        (f"{site}{department_path(department)}qr.svg", "二维码（SVG）"),
        (f"{site}{department_path(department)}qr.png", "二维码（PNG）"),
    ]
    for channel in public_channels(questionnaire)[1:]:
        path = channel_path(questionnaire, department, channel)
        links.append((f"{site}{path}", f"问卷页面：{channel.name}"))
    return links
