"""Staff entry by file: the XLSX template per department and channel, the upload of a filled
one (all or nothing, idempotent by 问卷编号), and the served count proposed from a case-system
export (whose party column is never kept)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.entry_import import MAX_REPORTED, ImportRefused, read_upload, template
from manyi.reports.files import XLSX_TYPE
from manyi.served_count import ExportProblem, count_parties
from manyi.staff_entry import staff_channels
from manyi.workspace.access import Call, message_page
from manyi.workspace.http import download
from manyi.workspace.months_param import month_of
from manyi.workspace.pages import entry


def template_file(call: Call) -> Response[Any]:
    department = call.department()
    questionnaire = call.ws.questionnaire()
    # Without a choice, the first staff channel's (the link on the entry page names one).
    asked = call.request.query.get("channel") or staff_channels(questionnaire)[0].id
    channel = questionnaire.channel(asked)
    if department is None or channel is None or channel.entry != "staff":
        return message_page(call, 404, "找不到模板", "请从录入页选择渠道后下载模板。")
    data = template(questionnaire, department, channel)
    name = f"manyi-{department.id}-{channel.id}-{questionnaire.version}.xlsx"
    return download(data, XLSX_TYPE, name)


def import_file(call: Call) -> Response[Any]:
    """Every bad cell named, nothing stored; or every row stored once."""
    department = call.department()
    intake = call.ws.intake
    if department is None:
        return message_page(call, 404, "找不到部门", "没有这个部门。")
    if intake is None:
        return message_page(call, 503, "暂不能导入", "本系统没有配置问卷存储，请联系管理员。")
    questionnaire = call.ws.questionnaire()
    channel = questionnaire.channel(call.request.field("channel", 40))
    upload = call.request.files.get("file")
    if channel is None or channel.entry != "staff":
        return entry.home(call, 400, "请选择这些问卷的录入渠道。")
    if upload is None or not upload.data:
        return entry.home(call, 400, "请选择要上传的文件。")
    now = call.ws.clock()
    month = call.calendar().month(now)
    try:
        result = read_upload(
            questionnaire, department, channel, upload.filename, upload.data, now, month
        )
    except ImportRefused as refused:
        return entry.home(call, 400, f"未导入：{refused}")
    problems = list(result.problems)
    new = []
    for response in result.responses:
        stored = intake.get(response.submission_id)
        if stored is None:
            new.append(response)
        elif dict(stored.answers) != dict(response.answers):
            reason = "这个编号的问卷已导入过，但答案不同；如需更正请联系办公室。"
            problems.append(result.problem(response.submission_id, reason))
    if problems:
        return call.page(
            "entry_import.html.j2",
            422,
            title="未导入",
            department=department,
            problems=[p.text() for p in problems[:MAX_REPORTED]],
            more=max(0, len(problems) - MAX_REPORTED),
            total=len(problems),
            stored=0,
            repeated=0,
            rows=result.rows,
        )
    stored_count = intake.put_many(new)
    call.audit(
        "import.stored",
        f"import/{department.id}/{month}",
        after={
            "channel": channel.id,
            "rows": result.rows,
            "stored": stored_count,
            "already": len(result.responses) - len(new),
            "file": upload.filename[:100],
        },
        departments=(department.id,),
        now=now,
    )
    return call.page(
        "entry_import.html.j2",
        title="导入完成",
        department=department,
        problems=[],
        more=0,
        total=0,
        stored=stored_count,
        repeated=len(result.responses) - len(new),
        rows=result.rows,
    )


def served_proposal(call: Call) -> Response[Any]:
    """Distinct parties of the month in an export; the clerk confirms the number."""
    department = call.department()
    if department is None:
        return message_page(call, 404, "找不到部门", "没有这个部门。")
    now = call.ws.clock()
    month = month_of(call.request.field("month", 10), now, call.calendar())
    upload = call.request.files.get("file")
    if month is None or month > call.calendar().month(now):
        return entry.home(call, 400, "月份应为本月或以前的月份，写成 2026-11 这样的格式。")
    if upload is None or not upload.data:
        return entry.home(call, 400, "请选择业务系统的导出表。")
    try:
        counted = count_parties(
            upload.filename,
            upload.data,
            call.request.field("party", 60),
            call.request.field("date", 60),
            month,
        )
    except ExportProblem as problem:
        return entry.home(call, 400, f"未能统计：{problem}")
    return call.page(
        "entry_served.html.j2",
        title="服务对象数建议值",
        department=department,
        month=month,
        counted=counted,
    )
