"""The complaint pages (投诉举报): the city's form, each department's, the receipt and the status
page. Plain HTML forms without a script: they work the same with JavaScript on or off, in
WeChat's browser, at 320 px and with the large-text switch. The collector renders the same
templates when a form comes back with problems, and for a receipt or a status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from manyi.complaints.settings import CATEGORIES
from manyi.messages import complaint_message
from manyi.model import Department, Questionnaire
from site_builder import paths
from site_builder.policy import content_security_policy
from site_builder.render import PageHead, _assets, _render
from site_builder.views import FieldProblem

CITY_PATH = "/complaints/"
STATUS_PATH = "/complaints/status/"
FIELD_LABELS = {
    "department": "被投诉的单位",
    "category": "投诉的问题",
    "subject": "执法人员或地点",
    "account": "发生了什么",
    "happened_on": "发生日期",
    "name": "姓名",
    "phone": "联系电话",
    "complaint_id": "投诉编号",
}


def department_complaint_path(department: Department) -> str:
    return f"/complaints/d/{department.id}/"


def complaint_pages(questionnaire: Questionnaire, *, api_url: str) -> Iterable[tuple[str, str]]:
    """(URL path, HTML) of every complaint page the build writes."""
    yield CITY_PATH, render_complaint_page(questionnaire, None, api_url=api_url)
    yield STATUS_PATH, render_status_page(questionnaire, api_url=api_url)
    for department in questionnaire.departments:
        page = render_complaint_page(questionnaire, department, api_url=api_url)
        yield department_complaint_path(department), page


def render_complaint_page(
    questionnaire: Questionnaire,
    department: Department | None,
    *,
    api_url: str,
    values: Mapping[str, str] | None = None,
    errors: Iterable[FieldProblem] = (),
) -> str:
    """The form of one department (or, with None, the city's: the department is chosen)."""
    api = paths.normalized_api_url(api_url)
    given = list(errors)
    by_field: dict[str, str] = {}
    for problem in given:
        by_field.setdefault(problem.field, problem.message)
    problems = [
        {
            "href": f"#f-{p.field}" if p.field in FIELD_LABELS else None,
            "label": FIELD_LABELS.get(p.field, p.field),
            "message": p.message,
        }
        for p in given
    ]
    where = department.name if department else questionnaire.office.name
    title = f"投诉举报 · {where}"
    return _render(
        "complaint.html.j2",
        head=_head(
            ("请修改后提交 · " if given else "") + title, api, f"向{where}投诉举报行政执法问题。"
        ),
        questionnaire=questionnaire,
        department=department,
        departments=questionnaire.departments,
        categories=CATEGORIES,
        values=dict(values or {}),
        errors=by_field,
        problems=problems,
        problems_heading=complaint_message("invalid", count=len(problems)),
        action=f"{api}/complaints",
        page=department.id if department else "",
        status_url=STATUS_PATH,
        phone=department.complaint_phone if department else questionnaire.office.phone,
    )


def render_receipt_page(
    questionnaire: Questionnaire, receipt: Mapping[str, Any], *, api_url: str
) -> str:
    """After a stored complaint: its number and its receipt code, shown this once."""
    return _render(
        "complaint_receipt.html.j2",
        head=_head("投诉已收到", paths.normalized_api_url(api_url), "投诉已收到。"),
        questionnaire=questionnaire,
        receipt=receipt,
        status_url=STATUS_PATH,
    )


def render_status_page(
    questionnaire: Questionnaire,
    *,
    api_url: str,
    found: Mapping[str, Any] | None = None,
    problem: str = "",
    number: str = "",
) -> str:
    """The lookup form; with `found`, the complaint's progress; with `problem`, why not."""
    api = paths.normalized_api_url(api_url)
    return _render(
        "complaint_status.html.j2",
        head=_head("投诉办理进度查询", api, "凭受理编号和查询码查询投诉办理进度。"),
        questionnaire=questionnaire,
        action=f"{api}/complaints/status",
        found=found,
        problem=problem,
        number=number,
        city_url=CITY_PATH,
    )


def _head(title: str, api_url: str, description: str) -> PageHead:
    from markupsafe import Markup

    return PageHead(
        title=title,
        style=Markup(_assets().screen_css.text),  # noqa: S704 (our own CSS, checked for `</`)
        css=None,
        script=None,  # a plain form: nothing to load, nothing that can fail
        csp=content_security_policy(api_url),
        description=description,
    )
