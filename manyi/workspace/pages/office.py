"""The office's page: every department in one table, most urgent first; the month's status,
its close and reopen; the month's published reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.alerts import month_alerts
from manyi.figures import ratio
from manyi.model import ENTRIES
from manyi.pace import period
from manyi.reports.files import FILES, month_file
from manyi.reports.sections import SectionProviders
from manyi.reports.tables import flags_text
from manyi.reports.view import TREND_MONTHS, month_view
from manyi.workspace.access import Call, message_page
from manyi.workspace.audit import month_target
from manyi.workspace.context import PREFIX, Workspace
from manyi.workspace.dashboard import office_dashboard
from manyi.workspace.http import SECURITY_HEADERS, download
from manyi.workspace.months import MonthActionRefused, MonthBooks, close_month, reopen_month
from manyi.workspace.months_param import month_of, recent_months
from manyi.workspace.pages.flags import flag_context, month_flags
from manyi.workspace.reports import report_key, report_sections
from manyi.workspace.selection_param import dashboard_filter, respondent_choices, selection_or_page

REPORT_NAMES = {
    "report.docx": "月度测评通报（Word）",
    "report.html": "月度测评报告（网页）",
    "results.xlsx": "Excel 工作簿",
    "summary.csv": "汇总表 CSV",
    "options.csv": "各选项人数 CSV",
    "results.json": "JSON",
}
# The printed report is a page of its own: inline styles, no script (its own CSP says so too).
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def dashboard(call: Call, status: int = 200, problem: str = "") -> Response[str]:
    now = call.ws.clock()
    month = month_of(
        call.params.get("month") or call.request.query.get("month"), now, call.calendar()
    )
    month, questionnaire, selection = dashboard_filter(call, month)
    ws = call.ws
    board = office_dashboard(
        questionnaire, ws.results, ws.reports, month, now, ws.closed_months, selection
    )
    entries = {e: sum(d.entries.get(e, 0) for d in board.city.departments) for e in ENTRIES}
    alerts = [] if board.view.closed else month_alerts(questionnaire, ws.results, month, now)
    close_moment = period(month, questionnaire.reporting)[1]
    return call.page(
        "office.html.j2",
        status,
        title=f"全市总览 {month}",
        board=board,
        month=month,
        months=recent_months(now, call.calendar()),
        history=list(reversed(call.ws.staff.audit.history(month_target(month)))),
        may_act=call.me.role == "office",
        target=questionnaire.reporting.coverage_target,
        close_date=close_moment.date(),
        before_close_day=now < close_moment,
        reports=REPORT_NAMES,
        problem=problem,
        entry_policy=call.ws.entry.policy() if call.ws.entry is not None else None,
        respondents=respondent_choices(questionnaire),
        selection_label=selection.label(questionnaire),
        city_entries=entries,
        city_entry_shares={e: ratio(n, board.city.total.responses) for e, n in entries.items()},
        flags_text=flags_text,
        alerts=alerts,
        **flag_context(
            month_flags(questionnaire, ws.results, ws.pressure, ws.staff.audit, month),
            show_city=True,
        ),
    )


def close(call: Call) -> Response[str]:
    def act(ws: Workspace, month: str, reason: str) -> None:
        books = _books(ws, "关账")
        lag = ws.settings.close_lag.total_seconds()
        close_month(
            books,
            actor=call.me.username,
            month=month,
            reason=reason,
            now=ws.clock(),
            lag_seconds=lag,
        )

    return _month_action(call, act, "closed")


def reopen(call: Call) -> Response[str]:
    def act(ws: Workspace, month: str, reason: str) -> None:
        books = _books(ws, "重新开账")
        reopen_month(books, actor=call.me.username, month=month, reason=reason, now=ws.clock())

    return _month_action(call, act, "reopened")


def _books(ws: Workspace, action: str) -> MonthBooks:
    """The workspace's books for a close or a reopen (`action` names it for the refusal)."""
    if ws.submissions is None:
        raise MonthActionRefused(f"这里无法{action}：没有连接问卷数据。")
    return MonthBooks(
        ws.questionnaire(), ws.results, ws.submissions, ws.outputs, ws.staff.audit, ws.pressure
    )


def _month_action(
    call: Call, act: Callable[[Workspace, str, str], None], notice: str
) -> Response[str]:
    """A close or a reopen: done, then back to the month (303), or the page with why not (409)."""
    month = call.params["month"]
    if month_of(month, call.ws.clock(), call.calendar()) is None:
        return message_page(call, 404, "找不到页面", "月份不正确。")
    try:
        act(call.ws, month, call.request.field("reason", 2000))
    except MonthActionRefused as refused:
        return dashboard(call, 409, str(refused))
    return call.back(f"{PREFIX}office/{month}/", notice)


def report_file(call: Call) -> Response[Any]:
    """A month's report or data file: as the aggregator published it (the data folder or the
    private bucket), else made now from the results. The HTML report is made now wherever
    the 回访 or 投诉举报 sections can be filled here: the published one has the survey's only."""
    month = month_of(call.params["month"], call.ws.clock(), call.calendar())
    name = call.params["name"]
    if month is not None and name == "report.docx":
        return _word_report(call, month)
    if month is None or name not in FILES:
        return message_page(call, 404, "找不到文件", "没有这个文件。")
    questionnaire = call.ws.questionnaire()
    providers: SectionProviders = {}
    if name == "report.html":
        providers = report_sections(call.ws, questionnaire, complaints=True)
    content_type = FILES[name][1]
    reports = call.ws.reports
    data = None
    if reports is not None and not providers:
        data = reports.read(report_key(month, name))
    if data is None:
        view = month_view(
            questionnaire, call.ws.results, month, TREND_MONTHS, pressure=call.ws.pressure
        )
        data, content_type = month_file(questionnaire, view, name, providers)
    if name == "report.html":
        headers = {**SECURITY_HEADERS, "Content-Security-Policy": REPORT_CSP}
        return Response(200, "text/html; charset=utf-8", data, headers, compress=True)
    return download(data, content_type, f"manyi-{month}-{name}")


def _word_report(call: Call, month: str) -> Response[Any]:
    """The city's Word report, made now from the month's results (its filter too)."""
    from manyi.reports.word import DOCX_TYPE, city_docx  # python-docx: only when asked for

    questionnaire = call.ws.questionnaire()
    selection = selection_or_page(call, questionnaire)
    view = month_view(
        questionnaire, call.ws.results, month, TREND_MONTHS, selection, call.ws.pressure
    )
    issued = call.calendar().today(call.ws.clock())
    data = city_docx(
        questionnaire, view, issued, report_sections(call.ws, questionnaire, complaints=True)
    )
    return download(data, DOCX_TYPE, f"manyi-{month}-report.docx")
