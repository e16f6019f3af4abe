"""How the collector answers a complaint or a status lookup: JSON for API clients, a page for
a plain form (the receipt, the form again with its problems, the status page).

Imported only when a complaint route is called: the survey's cold start does not pay for it.
A receipt is a 200/201 page, not a redirect: the receipt code must not travel in a URL (it would
sit in the browser's history and in access logs), so it is shown in the answer to the POST.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from manyi.collector import repeat
from manyi.collector.pages import short_document
from manyi.collector.response import HTML_TYPE, Response, answer_headers
from manyi.complaints.intake import COOKIE, ComplaintIntake, ComplaintOutcome, LookupOutcome


def complaint_response(
    intake: ComplaintIntake, outcome: ComplaintOutcome, api_url: str, secure: bool
) -> Response:
    headers, as_json = answer_headers(outcome)
    if as_json is not None:
        return as_json
    from site_builder import complaints as pages

    questionnaire = intake.catalogue.current
    if outcome.accepted:
        cookies: tuple[str, ...] = ()
        if outcome.cookie:
            path = f"{urlsplit(api_url).path}/complaints"
            cookies = (str(repeat.set_cookie(outcome.cookie, path, secure, COOKIE)),)
        page = pages.render_receipt_page(questionnaire, outcome.body, api_url=api_url)
        return Response(outcome.status, HTML_TYPE, page, headers, cookies)
    if outcome.form is not None:
        department = questionnaire.department(outcome.form.page)
        page = pages.render_complaint_page(
            questionnaire,
            department,
            api_url=api_url,
            values=outcome.form.values,
            errors=outcome.errors,
        )
        return Response(outcome.status, HTML_TYPE, page, headers)
    message = str(outcome.body["error"]["message"])
    return Response(outcome.status, HTML_TYPE, _short_page(message), headers)


def lookup_response(intake: ComplaintIntake, found: LookupOutcome, api_url: str) -> Response:
    headers, as_json = answer_headers(found)
    if as_json is not None:
        return as_json
    from site_builder.complaints import render_status_page

    questionnaire = intake.catalogue.current
    if found.code == "found":
        page = render_status_page(
            questionnaire, api_url=api_url, found=found.body, number=str(found.body["number"])
        )
    else:
        problem = str(found.body["error"]["message"])
        page = render_status_page(questionnaire, api_url=api_url, problem=problem)
    return Response(found.status, HTML_TYPE, page, headers)


def _short_page(message: str) -> str:
    from html import escape

    title = "投诉没有提交成功"
    return short_document(
        title,
        f'<h1>{escape(title)}</h1>\n<p role="alert">{escape(message)}</p>\n'
        '<p><a href="/complaints/">返回投诉页面</a></p>',
    )
