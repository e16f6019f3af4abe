"""The HTML a plain form post gets back when something is wrong (JavaScript off).

Answers with problems get the very page the person filled in, answers kept and each problem
next to its question: `site_builder.render.render_form_page` (the site's own renderer, shipped
in the Lambda artifact), imported only when needed. Other problems get a short page that says
what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from manyi.collector.intake import FormContext, Outcome
from manyi.messages import page_message
from manyi.submission import FieldError

API_URL = "/api"


def error_page(outcome: Outcome, api_url: str = API_URL) -> str:
    if outcome.form is not None:
        # A form sent again: the collector's word above it; otherwise the problems in it.
        notice = str(outcome.body["error"]["message"]) if outcome.code == "repeated" else None
        return form_page(outcome.form, outcome.errors, api_url, notice)
    message = str(outcome.body["error"]["message"])
    back = f"/d/{outcome.department}/" if outcome.department else "/"
    title = page_message("not_submitted")
    return short_document(
        title,
        f'<h1>{escape(title)}</h1>\n<p role="alert">{escape(message)}</p>\n'
        f'<p><a href="{escape(back)}">{escape(page_message("back_to_form"))}</a></p>',
    )


def form_page(
    context: FormContext,
    errors: Sequence[FieldError],
    api_url: str = API_URL,
    notice: str | None = None,
) -> str:
    # The site's renderer (and Jinja2) only when a form comes back with problems.
    from site_builder.render import render_form_page

    channel = context.channel
    if context.questionnaire.channel(channel) is None:
        channel = context.questionnaire.channels[0].id
    return render_form_page(
        context.questionnaire,
        context.department,
        channel,
        api_url=api_url,
        answers=context.answers,
        errors=errors,
        notice=notice,
    )


# The short page is the collector's own (it has no form), so its few rules travel inline.
STYLE = (
    "body{font:1.25rem/1.6 sans-serif;margin:0 auto;max-width:40rem;padding:1rem}"
    "[role=alert]{color:#a00}"
)


def short_document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
