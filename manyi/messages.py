"""Every message a person can see, in one catalogue, each under a stable code.

Two audiences: whoever edits questionnaire.yaml (an operator at a terminal: English, with file
and line), and a citizen filling in the form (Chinese, plain words, one question at a time).
Codes never change once published: pages, API clients and tests match on them.

This is the only source of these words: the templates, the page's script (baked in at build
time), the collector's own pages and its JSON all take them from here. Each catalogue's codes
are a `Literal`, so a mistyped code fails mypy, not a citizen.
"""

from __future__ import annotations

from typing import Final, Literal

# -- questionnaire.yaml: file problems ----------------------------------------------------

DefinitionCode = Literal[
    "unreadable",
    "too_large",
    "too_deep",
    "too_many_values",
    "recursive_alias",
    "bad_value",
    "yaml_syntax",
    "not_a_mapping",
    "not_a_list",
    "missing_key",
    "unknown_key",
    "duplicate_key",
    "id_not_text",
    "bad_id",
    "reserved_id",
    "reserved_channel_id",
    "duplicate_id",
    "empty_text",
    "unknown_kind",
    "unknown_option_set",
    "too_few_options",
    "exclusive_on_single",
    "bad_valence",
    "bad_entry",
    "bad_score",
    "score_on_neutral",
    "bad_flag",
    "condition_unknown_question",
    "condition_not_earlier",
    "condition_unknown_option",
    "bad_number",
    "duplicate_number",
    "bad_department_kind",
    "bad_phone",
    "bad_coverage_target",
    "bad_close_day",
    "bad_timezone",
    "bad_min_sample",
    "bad_alert_days",
    "empty_list",
    "bad_working_days",
    "unknown_complaint_category",
    "bad_retention_years",
    "bad_share",
    "bad_whole",
    "followup_unknown_department",
]

DEFINITION: Final[dict[DefinitionCode, str]] = {
    "unreadable": "cannot read the file: {detail}",
    "too_large": ("the file has {size} characters; a questionnaire file may have at most {limit}"),
    "too_deep": (
        "values are nested more than {limit} levels deep here; a questionnaire needs far fewer"
    ),
    "too_many_values": (
        "the file holds more than {limit} values once its aliases (`*name`) are expanded; "
        "write the values out, or use fewer aliases"
    ),
    "recursive_alias": (
        "the value anchored here (`&name`) contains an alias to itself (`*name`), which never "
        "ends; remove that alias"
    ),
    "bad_value": "the value here cannot be read ({detail}); if it is text, put it in quotes",
    "yaml_syntax": "not valid YAML: {detail}",
    "not_a_mapping": "{what} must be a mapping of keys to values",
    "not_a_list": "{what} must be a list",
    "missing_key": "{what} needs `{key}`",
    "unknown_key": "{what} has an unknown key `{key}` (known: {known})",
    "duplicate_key": "key `{key}` appears twice in the same mapping (first at line {first})",
    "id_not_text": (
        "{what} ID must be text, got {value!r}; YAML reads unquoted yes/no/on/off as "
        'true/false, so write "{hint}" in quotes'
    ),
    "bad_id": "{what} ID {value!r} must match {pattern}",
    "reserved_id": "question ID {value!r} is reserved for the submission itself",
    "reserved_channel_id": (
        "channel ID {value!r} is the name of a page under /d/<department>/ ({reserved}); "
        "choose another"
    ),
    "duplicate_id": "{what} ID {value!r} is already used at line {first}",
    "empty_text": "{what} needs a non-empty `{key}`",
    "unknown_kind": "question {question!r} has kind {value!r}; use one of: {known}",
    "unknown_option_set": "question {question!r} uses option set {value!r}, which is not defined",
    "too_few_options": "question {question!r} needs at least two options",
    "exclusive_on_single": (
        "option {option!r} of question {question!r} is exclusive, but the question is a single "
        "choice where every option already excludes the others; remove `exclusive` or make the "
        "question `kind: multiple`"
    ),
    "bad_valence": "option {option!r} has valence {value!r}; use one of: {known}",
    "bad_entry": (
        "channel {channel!r} has entry {value!r}; use one of: {known} (self: the respondent "
        "answers on their own device; staff: staff key in the answers)"
    ),
    "bad_score": "option {option!r} has score {value!r}; a score is a number from 0 to 100",
    "score_on_neutral": (
        "option {option!r} is neutral (left out of every rate) and cannot carry a score"
    ),
    "bad_flag": "`{key}` must be true or false, got {value!r}",
    "condition_unknown_question": "condition refers to question {value!r}, which does not exist",
    "condition_not_earlier": (
        "condition refers to question {value!r}, which does not come before {where}; a question "
        "can only depend on answers given above it"
    ),
    "condition_unknown_option": (
        "condition refers to option {value!r}, which is not an option of {question!r}"
    ),
    "bad_number": "question {question!r} has number {value!r}; a number is a whole number ≥ 1",
    "duplicate_number": "number {value} is already used in this section at line {first}",
    "bad_department_kind": "department {department!r} has kind {value!r}; use one of: {known}",
    "bad_phone": "phone {value!r} may contain only digits, spaces and hyphens",
    "bad_coverage_target": "coverage_target {value!r} must be a fraction above 0 and at most 1",
    "bad_close_day": (
        "close_day {value!r} must be a day from 1 to 27: reports are due before the 28th"
    ),
    "bad_timezone": "timezone {value!r} is not a known IANA time zone",
    "bad_min_sample": "min_sample {value!r} must be a whole number of responses, at least 1",
    "bad_alert_days": (
        "alert_days {value!r} must be a list of days from 1 to 27 (warnings come before the close)"
    ),
    "empty_list": "{what} must list at least one entry",
    "bad_working_days": (
        "complaints.{key} {value!r} must be a whole number of working days, 0 to 365"
    ),
    "unknown_complaint_category": (
        "complaints.conduct_categories lists {value!r}, which is not a category; use: {known}"
    ),
    "bad_retention_years": (
        "complaints.retention_years {value!r} must be a whole number of years, 1 to {most}"
    ),
    "bad_share": "share {key} is {value!r}; a share is a fraction from 0 to 1 (1: every case)",
    "bad_whole": "`{key}` is {value!r}; it must be a whole number from {low} to {high}",
    "followup_unknown_department": (
        "followup sampling names department {value!r}, which is not in `departments`"
    ),
}

# -- answers: what a citizen sees next to a question -------------------------------------

AnswerCode = Literal[
    "required", "single_choice", "unknown_option", "exclusive", "invalid_value", "unknown_question"
]

ANSWER: Final[dict[AnswerCode, str]] = {
    "required": "请回答这道题。",
    "single_choice": "这道题只能选一项。",
    "unknown_option": "所选的选项不在这道题里，请重新选择。",
    "exclusive": "选了“{option}”，就不能再选其他选项。",
    "invalid_value": "答案格式不正确，请重新选择。",
    "unknown_question": "问卷里没有这道题，请刷新页面后重新填写。",
}

# -- the collector: what a person (or the page's script) is told about a whole submission --

SubmissionCode = Literal[
    "malformed",
    "too_large",
    "unsupported_media_type",
    "unknown_department",
    "stale_version",
    "invalid_answers",
    "repeated",
    "rate_limited",
    "unavailable",
    "not_found",
    "method_not_allowed",
    "server_error",
]

SUBMISSION: Final[dict[SubmissionCode, str]] = {
    "malformed": "提交的内容无法识别，请刷新页面后重新填写。",
    "too_large": "提交的内容过长，请刷新页面后重新填写。",
    "unsupported_media_type": "提交的格式不正确，请通过问卷页面提交。",
    "unknown_department": "没有找到这个单位的问卷，请核对网址或重新扫描二维码。",
    "stale_version": "问卷内容已经更新，请刷新页面，按新问卷重新提交。",
    # Also the heading of the list of problems on the page, with or without the script.
    "invalid_answers": "请修改下面标出的 {count} 处，再提交",
    # A plain form (no script) posted again with exactly the same answers: see collector/repeat.
    "repeated": (
        "这份答卷刚才已经提交成功，没有再保存一次。如果这是另一个人填写的、答案恰好完全相同的"
        "答卷，请核对后再点一次“提交问卷”。"
    ),
    "rate_limited": "提交太频繁，请稍等 {seconds} 秒后再提交。",
    "unavailable": "系统繁忙，您的答案还没有保存，请过 {seconds} 秒后再提交一次。",
    "server_error": "系统出现故障，您的答案还没有保存。工作人员会尽快修复，请稍后再提交一次。",
    "not_found": "没有这个网址。",
    "method_not_allowed": "不支持这种请求方式。",
}

# Problems with a submission's own fields, shown like an answer's problem.
SubmissionFieldCode = Literal[
    "missing_submission_id",
    "invalid_submission_id",
    "unknown_channel",
    "staff_channel",
    "invalid_version",
]

SUBMISSION_FIELD: Final[dict[SubmissionFieldCode, str]] = {
    "missing_submission_id": "缺少提交编号，请刷新页面后重新提交。",
    "invalid_submission_id": "提交编号格式不正确，请刷新页面后重新提交。",
    "unknown_channel": "填写渠道不正确，请从单位的二维码或链接重新进入问卷。",
    "staff_channel": (
        "电话、座谈会、上门走访和纸质问卷由工作人员在工作平台录入，不能在此提交。"
        "请从单位的二维码或链接进入问卷。"
    ),
    "invalid_version": "问卷版本不正确，请刷新页面后重新提交。",
}


# -- the page: what its script says while sending, and the words around the form --------------

PageCode = Literal[
    "sending",
    "offline",
    "retry",
    "stale",
    "reload",
    "not_submitted",
    "resumed",
    "filter_count",
    "fix_title",
    "back_to_form",
    "again",
    "again_hint",
    "submitted",
]

PAGE: Final[dict[PageCode, str]] = {
    "sending": "正在提交，请稍候……",
    "offline": "网络暂时连不上。您的答卷已保存在本页，恢复联网后会自动提交，请不要关闭本页。",
    "retry": "服务器暂时繁忙。您的答卷已保存在本页，稍后会自动重新提交，请不要关闭本页。",
    "stale": "问卷内容已经更新。您的答案已保存，请点“刷新问卷”，核对后再提交。",
    "reload": "刷新问卷",
    "not_submitted": "提交没有成功",
    "resumed": "已恢复您上次填写但未提交的答案。",
    "filter_count": "找到 {count} 个单位",
    "fix_title": "请修改后提交",
    "back_to_form": "返回问卷",
    "again": "再填一份",
    "again_hint": "为另一位填写时使用，例如座谈会上几个人共用一部手机。",
    # Shown instead of the form when Back leads to a page whose answers were already sent.
    "submitted": "这份问卷已经提交成功，答卷已经收到，不需要再提交。",
}


# -- complaints (投诉举报): what a complainant is told -------------------------------------

ComplaintFieldCode = Literal[
    "required",
    "unknown_category",
    "unknown_department",
    "too_long",
    "bad_date",
    "future_date",
    "bad_phone",
    "missing_complaint_id",
    "invalid_complaint_id",
]

COMPLAINT_FIELD: Final[dict[ComplaintFieldCode, str]] = {
    "required": "请填写这一项。",
    "unknown_category": "请从列表中选择投诉的问题类别。",
    "unknown_department": "请从列表中选择被投诉的单位。",
    "too_long": "内容太长：最多 {limit} 个字，现在是 {length} 个字。",
    "bad_date": "日期格式不正确，请写成 2026-11-20 这样。",
    "future_date": "发生日期不能晚于今天。",
    "bad_phone": "电话号码只能包含数字、空格和短横线，例如 13800000000 或 0375-1234567。",
    "missing_complaint_id": "缺少投诉编号，请刷新页面后重新提交。",
    "invalid_complaint_id": "投诉编号格式不正确，请刷新页面后重新提交。",
}

ComplaintCode = Literal[
    "received",
    "repeated",
    "invalid",
    "not_found",
    "slowed_down",
    "rate_limited",
]

COMPLAINT: Final[dict[ComplaintCode, str]] = {
    "received": "投诉已收到。请记下受理编号和查询码：查询码只显示这一次，凭两者可以查询办理进度。",
    "repeated": "这份投诉刚才已经收到，没有重复登记。受理编号和查询码如下。",
    "invalid": "请修改下面标出的 {count} 处，再提交",
    "not_found": "没有查到：受理编号或查询码不正确。请核对后重新输入（查询码是 12 位数字）。",
    "slowed_down": "查询码错误次数过多，为保护投诉人，请等 {seconds} 秒后再试。",
    "rate_limited": "提交太频繁，请稍等 {seconds} 秒后再试。",
}


# -- the pressure question after the thanks page (manyi.collector.pressure) --------------------

PressureCode = Literal[
    "question", "yes", "no", "declined", "send", "choose", "recorded", "recorded_detail", "back"
]

PRESSURE: Final[dict[PressureCode, str]] = {
    "question": "是否有工作人员要求您给好评，或替您填写问卷？",
    "yes": "有",
    "no": "没有",
    "declined": "不愿回答",
    "send": "提交",
    "choose": "请选择一项后再提交。",
    "recorded": "已收到，谢谢您。",
    "recorded_detail": "这个回答与您的问卷分开保存，不会和您的答卷对应起来。",
    "back": "返回问卷",
}


def pressure_message(code: PressureCode) -> str:
    return PRESSURE[code]


# -- the integrity signals, as the workspace and the monthly report name them (manyi.integrity) --

SignalCode = Literal[
    "burst",
    "staff_share",
    "staff_favourable",
    "straight_lining",
    "speed",
    "month_end_rush",
    "served_changed",
]

SIGNAL: Final[dict[SignalCode, str]] = {
    "burst": "同一网络或同一批录入短时间内集中提交，且几乎全部“满意”",
    "staff_share": "工作人员代为录入的答卷比例远高于全市",
    "staff_favourable": "代为录入的答卷明显比群众自填的更满意",
    "straight_lining": "所有满意度题答案完全相同的答卷比例过高",
    "speed": "填写用时远短于全市同一渠道",
    "month_end_rush": "答卷集中在关账前几天，测评率刚过目标",
    "served_changed": "服务对象数在20日后或关账后修改",
}


def signal_message(code: SignalCode) -> str:
    return SIGNAL[code]


def complaint_field_message(code: ComplaintFieldCode, **values: object) -> str:
    return COMPLAINT_FIELD[code].format(**values)


def complaint_message(code: ComplaintCode, **values: object) -> str:
    return COMPLAINT[code].format(**values)


def definition_message(code: DefinitionCode, **values: object) -> str:
    return DEFINITION[code].format(**values)


def answer_message(code: AnswerCode, **values: object) -> str:
    return ANSWER[code].format(**values)


def submission_message(code: SubmissionCode, **values: object) -> str:
    return SUBMISSION[code].format(**values)


def submission_field_message(code: SubmissionFieldCode) -> str:
    return SUBMISSION_FIELD[code]


def page_message(code: PageCode, **values: object) -> str:
    return PAGE[code].format(**values)
