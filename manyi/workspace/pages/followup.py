"""The follow-up (回访) pages: the month's cases of a department with their import, the draw,
assignments and problem items; a visitor's calls; the call screen; the party's self-service page.

The party's name and phone appear on the call screen only, for the assigned visitor and the
office, and each showing is written to the audit log. Every other page, and every export,
shows case numbers, codes and counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.followup.config import FollowupConfig
from manyi.followup.disposition import disposition
from manyi.followup.figures import COLUMNS, export_rows, figures_of, month_figures
from manyi.followup.importing import ImportRefused, read_case_file, template
from manyi.followup.service import (
    Followup,
    FollowupRefused,
    assign,
    check_form,
    close_problem,
    draw_month,
    find_link,
    finish_link,
    import_cases,
    make_link,
    open_notes,
    open_party,
    record_attempt,
    register_visitor,
    today_in_beijing,
)
from manyi.model import Department
from manyi.reports.csv_export import to_csv
from manyi.reports.files import CSV_TYPE, XLSX_TYPE
from manyi.store.cases.base import CASE_KINDS, OUTCOMES, PROCEDURES, Case
from manyi.workspace.access import Call, message_page
from manyi.workspace.context import PREFIX
from manyi.workspace.http import Answered, download, html
from manyi.workspace.months_param import month_of, recent_months
from manyi.workspace.render import render, stylesheet

DISPOSITION_TEXT = {
    "I": "完成",
    "R": "拒绝",
    "NC": "未联系到当事人",
    "UH": "未接通或未联系",
    "NE": "号码无效",
}
# Problems listed on a refused import's page; the rest are counted.
MAX_SHOWN = 200


def _setup(call: Call) -> tuple[Followup, FollowupConfig]:
    """The follow-up's store and settings; the page saying it is not set up (503) answers
    otherwise."""
    config = call.ws.questionnaire().followup
    fu = call.ws.followup
    if config is None or fu is None:
        raise Answered(message_page(call, 503, "回访未启用", "回访功能尚未配置，请联系管理员。"))
    return fu, config


def _month(call: Call, given: str | None) -> str | None:
    return month_of(given, call.ws.clock(), call.calendar())


def _case(call: Call, fu: Followup, month: str | None, case_id: str) -> Case | None:
    department = call.department()
    if department is None or month is None:
        return None
    return fu.store.get(department.id, month, case_id)


# -- the office's and a visitor's start page ----------------------------------------------------


def home(call: Call) -> Response[str]:
    fu, config = _setup(call)
    month = _month(call, call.request.query.get("month"))
    if month is None:
        return message_page(call, 400, "月份不正确", "月份应写成 2026-11 这样的格式。")
    questionnaire = call.ws.questionnaire()
    me = call.me
    figures = []
    if me.role in ("office", "viewer"):
        departments = [d.id for d in questionnaire.departments]
        figures = month_figures(
            fu.store, config, departments, month, today_in_beijing(call.ws.clock())
        )
    mine = [c for c in fu.store.assigned_to(me.username) if not c.done]
    own = [d for d in questionnaire.departments if me.role == "department" and me.may_read(d.id)]
    return call.page(
        "followup_home.html.j2",
        title="回访",
        month=month,
        months=recent_months(call.ws.clock(), call.calendar()),
        figures=figures,
        names={d.id: d.name for d in questionnaire.departments},
        mine=mine,
        own=own,
        visitors=fu.store.visitors() if me.role in ("office", "viewer") else [],
        may_register=me.role == "office",
        problem="",
    )


def figures_export(call: Call) -> Response[Any]:
    fu, config = _setup(call)
    month = _month(call, call.params["month"])
    if month is None:
        return message_page(call, 404, "找不到文件", "没有这个文件。")
    questionnaire = call.ws.questionnaire()
    figures = month_figures(
        fu.store,
        config,
        [d.id for d in questionnaire.departments],
        month,
        today_in_beijing(call.ws.clock()),
    )
    names = {d.id: d.name for d in questionnaire.departments}
    data = to_csv(export_rows(figures, names), [title for _, title in COLUMNS])
    return download(data.encode("utf-8"), CSV_TYPE, f"manyi-followup-{month}.csv")


def visitor_add(call: Call) -> Response[str]:
    fu, _ = _setup(call)
    username = call.request.field("username", 64)
    if call.ws.staff.accounts.get(username) is None:
        return message_page(call, 400, "没有这个账号", "请先在“账号”页面建立回访人员的账号。")
    try:
        register_visitor(
            fu, username, call.request.field("staff_id", 100), call.ws.clock(), call.me.username
        )
    except FollowupRefused as refused:
        return message_page(call, refused.status, "未登记", refused.chinese)
    return call.back(f"{PREFIX}followup/", "visitor")


# -- a department's month -------------------------------------------------------------------


def department_page(call: Call, status: int = 200, problem: str = "") -> Response[str]:
    fu, config = _setup(call)
    department = call.department()
    if department is None:
        return message_page(call, 404, "找不到部门", "没有这个部门。")
    given = call.request.field("month") if call.request.method == "POST" else None
    month = _month(call, given or call.request.query.get("month"))
    if month is None:
        return message_page(call, 400, "月份不正确", "月份应写成 2026-11 这样的格式。")
    cases = fu.store.month(department.id, month)
    today = today_in_beijing(call.ws.clock())
    return call.page(
        "followup_department.html.j2",
        status,
        title=f"{department.name} 回访 {month}",
        department=department,
        month=month,
        months=recent_months(call.ws.clock(), call.calendar()),
        figures=figures_of(department.id, month, cases, config, today),
        cases=cases,
        draws=fu.store.draws(department.id, month),
        visitors=fu.store.visitors(),
        disposition=lambda c: DISPOSITION_TEXT[disposition(c)],
        kinds=CASE_KINDS,
        procedures=PROCEDURES,
        is_office=call.me.role == "office",
        may_write=call.me.may_write(department.id),
        rates=config.rates_for(department.id),
        config=config,
        today=today.isoformat(),
        problem=problem,
    )


def _form_month(call: Call) -> tuple[Followup, FollowupConfig, Department, str]:
    """The department of the path and the month of a department page's form."""
    fu, config = _setup(call)
    department = call.department()
    month = _month(call, call.request.field("month"))
    if department is None or month is None:
        raise Answered(message_page(call, 404, "找不到", "没有这个部门或月份。"))
    return fu, config, department, month


def template_file(call: Call) -> Response[Any]:
    department = call.department()
    if department is None:
        return message_page(call, 404, "找不到部门", "没有这个部门。")
    data = template(department.name)
    return download(data, XLSX_TYPE, f"manyi-followup-cases-{department.id}.xlsx")


def import_file(call: Call) -> Response[str]:
    """A month's closed cases from a case system's export, as `manyi followup import` reads
    one: every bad row named and nothing stored, or each case stored once."""
    fu, _, department, month = _form_month(call)
    upload = call.request.files.get("file")
    if upload is None or not upload.data:
        return department_page(call, 400, "请选择要上传的案件文件（.xlsx 或 .csv）。")
    now = call.ws.clock()
    try:
        fu.need_sealer()
        case_file = read_case_file(upload.filename, upload.data, today_in_beijing(now), month)
        summary = import_cases(fu, department.id, case_file, now, call.me.username)
    except FollowupRefused as refused:
        return message_page(call, refused.status, "未导入", refused.chinese)
    except ImportRefused as refused:
        problems = refused.problems
        return call.page(
            "followup_import.html.j2", 422, title="未导入", department=department, month=month,
            problems=problems[:MAX_SHOWN], more=max(0, len(problems) - MAX_SHOWN),
            total=len(problems), summary=None,
        )  # fmt: skip
    return call.page(
        "followup_import.html.j2", title="导入完成", department=department, month=month,
        problems=[], more=0, total=0, summary=summary,
    )  # fmt: skip


def draw(call: Call) -> Response[str]:
    fu, config, department, month = _form_month(call)
    made = draw_month(fu, config, department.id, month, call.ws.clock(), call.me.username)
    return call.back(
        f"{PREFIX}followup/d/{department.id}/", "drawn", month=month, drawn=str(len(made.drawn))
    )


def _form_case(call: Call) -> tuple[Followup, Case]:
    """The case a department page's form names (its month and case ID)."""
    fu, _ = _setup(call)
    month = _month(call, call.request.field("month"))
    case = _case(call, fu, month, call.request.field("case", 40))
    if case is None:
        raise Answered(message_page(call, 404, "找不到案件", "没有这件案件。"))
    return fu, case


def assign_visitor(call: Call) -> Response[str]:
    return _case_action(call, assign, "visitor", 64, "assigned")


def problem_close(call: Call) -> Response[str]:
    return _case_action(call, close_problem, "action", 2000, "problem")


def _case_action(
    call: Call,
    act: Callable[[Followup, Case, str, datetime, str], object],
    field: str,
    limit: int,
    notice: str,
) -> Response[str]:
    """The form's case acted on with the form's `field`, by the signed-in account; back to the
    department's month with the notice, or its page with why not."""
    fu, case = _form_case(call)
    try:
        act(fu, case, call.request.field(field, limit), call.ws.clock(), call.me.username)
    except FollowupRefused as refused:
        return department_page(call, refused.status, refused.chinese)
    return call.back(f"{PREFIX}followup/d/{case.department}/", notice, month=case.month)


# -- the call screen --------------------------------------------------------------------------


def _assigned(call: Call) -> tuple[Followup, FollowupConfig, Case]:
    """The case the call screen's path names, if it is assigned to the visitor it names."""
    fu, config = _setup(call)
    case = _case(call, fu, _month(call, call.params["month"]), call.params["case"])
    if case is None or case.visitor != call.params["visitor"]:
        raise Answered(message_page(call, 404, "找不到案件", "没有分配给这位回访人员的这件案件。"))
    return fu, config, case


def call_screen(
    call: Call,
    status: int = 200,
    problem: str = "",
    errors: dict[str, str] | None = None,
    link: str = "",
) -> Response[str]:
    fu, config, case = _assigned(call)
    try:
        party = open_party(fu, case, call.ws.clock(), call.me.username)
        notes = open_notes(fu, case)
    except FollowupRefused as refused:
        return message_page(call, refused.status, "无法显示", refused.chinese)
    department = call.department()
    return call.page(
        "followup_call.html.j2",
        status,
        title=f"回访 {case.case_number}",
        case=case,
        department=department,
        party=party,
        attempts=list(zip(case.attempts, notes, strict=True)),
        outcomes=OUTCOMES,
        kinds=CASE_KINDS,
        procedures=PROCEDURES,
        config=config,
        script=config.script.replace("（部门）", department.name if department else ""),
        errors=errors or {},
        chosen=_chosen_of(call, config),
        reported=call.request.field(config.text_id, 2000) if call.request.method == "POST" else "",
        action=f"{PREFIX}followup/call/{case.visitor}/{case.department}/{case.month}/{case.case_id}",
        attempts_left=max(0, config.max_attempts - len(case.attempts)),
        link=link,
        problem=problem,
    )


def _chosen_of(call: Call, config: FollowupConfig) -> dict[str, list[str]]:
    if call.request.method != "POST":
        return {}
    return {q.id: call.request.fields(q.id) for q in config.questions}


def attempt(call: Call) -> Response[str]:
    fu, config, case = _assigned(call)
    outcome = call.request.field("outcome", 40)
    reported = call.request.field(config.text_id, 2000)
    answers: dict[str, Any] = {}
    if outcome == "completed":
        raw = {q.id: call.request.fields(q.id) for q in config.questions}
        answers, errors = check_form(config, raw, reported)
        if errors:
            return call_screen(call, 400, "请把回访问题答完整后再保存。", errors)
    try:
        record_attempt(
            fu, config, case, outcome, call.request.field("note", 2000), answers, reported,
            call.ws.clock(), call.me.username,
        )  # fmt: skip
    except FollowupRefused as refused:
        return call_screen(call, refused.status, refused.chinese)
    return call.back(f"{PREFIX}followup/", "attempt")


def link_create(call: Call) -> Response[str]:
    fu, config, case = _assigned(call)
    try:
        _, token = make_link(fu, config, case, call.ws.clock(), call.me.username)
    except FollowupRefused as refused:
        return call_screen(call, refused.status, refused.chinese)
    # A link leaves the workspace by SMS: absolute, on the site's address where one is set.
    site = call.ws.settings.site_url
    host = call.request.headers.get("host", "")
    if not site and host:
        site = f"{'https' if call.request.https else 'http'}://{host}"
    return call_screen(call, link=f"{site}{PREFIX}f/{token}")


# -- the party's self-service page --------------------------------------------------------------


def public_form(call: Call) -> Response[str]:
    return _public(call)


def public_submit(call: Call) -> Response[str]:
    return _public(call, submitting=True)


def _public(call: Call, submitting: bool = False) -> Response[str]:
    config = call.ws.questionnaire().followup
    fu = call.ws.followup
    if config is None or fu is None:
        return _public_page(call, 503, "暂时无法使用", "回访功能暂时无法使用，请稍后再试。")
    now = call.ws.clock()
    case, state = find_link(fu, call.params["token"], now)
    if case is None or state == "unknown":
        return _public_page(
            call, 404, "链接无效", "这个回访链接无效。请核对短信或微信里的链接是否完整。"
        )
    if state == "used":
        return _public_page(
            call, 410, "已经提交过", "这个回访链接已经使用过，您的意见已经收到，感谢您的配合。"
        )
    if state == "expired":
        return _public_page(
            call, 410, "链接已过期", "这个回访链接已经过期。如仍想反映情况，请拨打回访人员的电话。"
        )
    errors: dict[str, str] = {}
    chosen: dict[str, list[str]] = {}
    reported = ""
    if submitting:
        chosen = {q.id: call.request.fields(q.id) for q in config.questions}
        reported = call.request.field(config.text_id, 2000)
        answers, errors = check_form(config, chosen, reported)
        if not errors:
            from manyi.store.cases.base import CaseConflict

            try:
                finish_link(fu, config, case, answers, reported, now)
            except CaseConflict:
                return _public_page(
                    call, 410, "已经提交过", "这个回访链接已经使用过，您的意见已经收到。"
                )
            return _public_page(
                call, 200, "提交成功", "感谢您的配合！您的意见已经收到，我们会认真改进。"
            )
    department = call.ws.questionnaire().department(case.department)
    body = render(
        "followup_public.html.j2",
        {
            "css_url": f"{PREFIX}assets/{stylesheet()[0]}",
            "title": "回访",
            "department": department.name if department else "",
            "kind": CASE_KINDS[case.kind],
            "config": config,
            "errors": errors,
            "chosen": chosen,
            "reported": reported,
            "action": f"{PREFIX}f/{call.params['token']}",
            "message": "",
        },
    )
    return html(body, 400 if errors else 200)


def _public_page(call: Call, status: int, title: str, message: str) -> Response[str]:
    body = render(
        "followup_public.html.j2",
        {
            "css_url": f"{PREFIX}assets/{stylesheet()[0]}",
            "title": title,
            "message": message,
        },
    )
    return html(body, status)
