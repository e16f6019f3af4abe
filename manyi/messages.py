"""Every message a person can see, in one catalogue, each under a stable code.

Two audiences: whoever edits questionnaire.yaml (an operator at a terminal: English, with file
and line), and a citizen filling in the form (Chinese, plain words, one question at a time).
Codes never change once published: pages, API clients and tests match on them.
"""

from __future__ import annotations

from typing import Final

# -- questionnaire.yaml: file problems ----------------------------------------------------

DEFINITION: Final[dict[str, str]] = {
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
    "empty_list": "{what} must list at least one entry",
}

# -- answers: what a citizen sees next to a question -------------------------------------

ANSWER: Final[dict[str, str]] = {
    "required": "请回答这道题。",
    "single_choice": "这道题只能选一项。",
    "unknown_option": "所选的选项不在这道题里，请重新选择。",
    "exclusive": "选了“{option}”，就不能再选其他选项。",
    "invalid_value": "答案格式不正确，请重新选择。",
    "unknown_question": "问卷里没有这道题，请刷新页面后重新填写。",
}

# -- the collector: what a person (or the page's script) is told about a whole submission --

SUBMISSION: Final[dict[str, str]] = {
    "malformed": "提交的内容无法识别，请刷新页面后重新填写。",
    "too_large": "提交的内容过长，请刷新页面后重新填写。",
    "unsupported_media_type": "提交的格式不正确，请通过问卷页面提交。",
    "unknown_department": "没有找到这个单位的问卷，请核对网址或重新扫描二维码。",
    "stale_version": "问卷内容已经更新，请刷新页面，按新问卷重新提交。",
    "invalid_answers": "有 {count} 处需要修改，请按提示修改后重新提交。",
    "rate_limited": "提交太频繁，请稍等 {seconds} 秒后再提交。",
    "unavailable": "系统繁忙，您的答案还没有保存，请过 {seconds} 秒后再提交一次。",
    "not_found": "没有这个网址。",
    "method_not_allowed": "不支持这种请求方式。",
}

# Problems with a submission's own fields, shown like an answer's problem.
SUBMISSION_FIELD: Final[dict[str, str]] = {
    "missing_submission_id": "缺少提交编号，请刷新页面后重新提交。",
    "invalid_submission_id": "提交编号格式不正确，请刷新页面后重新提交。",
    "unknown_channel": "填写渠道不正确，请从单位的二维码或链接重新进入问卷。",
    "invalid_version": "问卷版本不正确，请刷新页面后重新提交。",
}


def definition_message(code: str, **values: object) -> str:
    return DEFINITION[code].format(**values)


def answer_message(code: str, **values: object) -> str:
    return ANSWER[code].format(**values)


def submission_message(code: str, **values: object) -> str:
    return SUBMISSION[code].format(**values)


def submission_field_message(code: str) -> str:
    return SUBMISSION_FIELD[code]
