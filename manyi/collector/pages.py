"""The HTML a plain form post gets back when something is wrong (JavaScript off).

Answers with problems get the very page the person filled in, answers kept and each problem
next to its question: `site_builder.render.render_form_page` (the site's own renderer), imported
only when needed. Where the site builder is not installed (a slim Lambda bundle), a plain page of
the same form, written here, stands in. Other problems get a short page that says what to do.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from html import escape

from manyi.collector.intake import FormContext, Outcome
from manyi.model import Department, Question, Questionnaire
from manyi.submission import FieldError

API_URL = "/api"


def error_page(outcome: Outcome, api_url: str = API_URL) -> str:
    if outcome.form is not None:
        return form_page(outcome.form, outcome.errors, api_url)
    message = str(outcome.body["error"]["message"])
    back = f"/d/{outcome.department}/" if outcome.department else "/"
    return _document(
        "提交没有成功",
        f'<h1>提交没有成功</h1>\n<p role="alert">{escape(message)}</p>\n'
        f'<p><a href="{escape(back)}">返回问卷</a></p>',
    )


def form_page(context: FormContext, errors: Sequence[FieldError], api_url: str = API_URL) -> str:
    try:
        # The site's renderer (and Jinja2) only when a form comes back with problems.
        render = importlib.import_module("site_builder.render")
    except ImportError:
        return fallback_form_page(context, errors, api_url)
    channel = context.channel
    if context.questionnaire.channel(channel) is None:
        channel = context.questionnaire.channels[0].id
    return str(
        render.render_form_page(
            context.questionnaire,
            context.department,
            channel,
            api_url=api_url,
            answers=context.answers,
            errors=errors,
        )
    )


def fallback_form_page(
    context: FormContext, errors: Sequence[FieldError], api_url: str = API_URL
) -> str:
    q, department = context.questionnaire, context.department
    by_field: dict[str, str] = {}
    for error in errors:
        by_field.setdefault(error.field, error.message)
    problems = "\n".join(
        f'<li><a href="#{escape(e.field)}">{escape(_label(q, e.field))}</a>：'
        f"{escape(e.message)}</li>"
        for e in errors
    )
    channel = context.channel if q.channel(context.channel) else q.channels[0].id
    hidden = {"department": department.id, "version": q.version, "channel": channel}
    fields = "\n".join(
        f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in hidden.items()
    )
    questions = "\n".join(
        _question_html(q, question, department, context.answers, by_field.get(question.id))
        for question in q.questions
    )
    body = (
        f"<h1>{escape(q.title)}</h1>\n<p>{escape(department.name)}</p>\n"
        f'<div role="alert"><h2>请修改以下 {len(errors)} 处后再提交</h2>\n'
        f"<ol>\n{problems}\n</ol></div>\n"
        f'<form method="post" action="{escape(api_url)}/submissions">\n{fields}\n'
        '<p hidden><label>请勿填写<input name="website" value="" tabindex="-1" '
        'autocomplete="off"></label></p>\n'
        f'{questions}\n<p><button type="submit">提交</button></p>\n</form>'
    )
    return _document(f"请修改后提交 · {department.name}", body)


def _question_html(
    q: Questionnaire,
    question: Question,
    department: Department,
    answers: Mapping[str, object],
    problem: str | None,
) -> str:
    given = answers.get(question.id)
    chosen = {given} if isinstance(given, str) else set(given) if isinstance(given, list) else set()
    kind = "radio" if question.kind == "single" else "checkbox"
    number = f"{question.number}. " if question.number else ""
    text = q.text_for(question.text, department)
    options = "\n".join(
        f'<label><input type="{kind}" name="{escape(question.id)}" value="{escape(o.id)}"'
        f"{' checked' if o.id in chosen else ''}> "
        f"{escape(q.text_for(o.text, department))}</label><br>"
        for o in question.options
    )
    alert = f'<p class="problem"><strong>{escape(problem)}</strong></p>\n' if problem else ""
    return (
        f'<fieldset id="{escape(question.id)}"><legend>{escape(number + text)}</legend>\n'
        f"{alert}{options}\n</fieldset>"
    )


def _label(q: Questionnaire, field: str) -> str:
    question = q.question(field)
    if question is None:
        return field
    return f"第{question.number}题" if question.number else question.text


STYLE = (
    "body{font:1.25rem/1.6 sans-serif;margin:0 auto;max-width:40rem;padding:1rem}"
    "fieldset{margin:1rem 0}label{display:inline-block;padding:.3rem 0}"
    "input{transform:scale(1.4);margin:.5rem}button{font-size:1.25rem;padding:.6rem 2rem}"
    ".problem,[role=alert]{color:#a00}"
)


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
