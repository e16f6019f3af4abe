"""The pressure question after the thanks page: `POST /api/pressure`, counted apart.

"是否有工作人员要求您给好评，或替您填写问卷？" (有 / 没有 / 不愿回答). The thanks page appears only
once a response is stored, so the question can never delay or endanger it. The body names the
department and the answer, nothing else (`department=…&answer=yes|no|declined`, as a plain form
or JSON); only the department-month's count of that answer goes up (manyi.store.pressure):
no time, no ID, nothing to set beside a response.

Answers: JSON gets 201 {"recorded": true}; a plain form gets a short thank-you page. Problems
are the collector's usual 4xx (an unknown department 404, a missing or unknown answer 422).
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qsl

from manyi.collector.intake import Outcome, admit, failure, invalid
from manyi.collector.ratelimit import RateLimiter
from manyi.messages import pressure_message
from manyi.store.pressure.base import PRESSURE_ANSWERS, PressureAnswer, PressureStore
from manyi.submission import MAX_BODY_BYTES, FieldError
from manyi.versions import Catalogue

MAX_PRESSURE_BYTES = 1024


def record_pressure(
    catalogue: Catalogue,
    store: PressureStore,
    limiter: RateLimiter | None,
    content_type: str,
    body: bytes,
    address: str,
    now: datetime,
) -> Outcome:
    from manyi.calendar import OfficeCalendar

    calendar = OfficeCalendar.of(catalogue.current.reporting)
    today = calendar.today(now)
    limit = min(MAX_PRESSURE_BYTES, MAX_BODY_BYTES)
    from_form, refusal = admit(content_type, body, limit, limiter, address, today, now)
    if refusal is not None:
        status, refused, wait = refusal
        return failure(status, refused, from_form, retry_after=wait, seconds=wait)
    fields = _fields(body, from_form)
    if fields is None:
        return failure(400, "malformed", from_form, detail="body is not a pressure answer")
    department_id, answer = fields.get("department", ""), fields.get("answer", "")
    department = catalogue.current.department(department_id)
    if department is None:
        catalogue.follow_site(today)
        department = catalogue.current.department(department_id)
    if department is None:
        return failure(404, "unknown_department", from_form)
    if answer not in PRESSURE_ANSWERS:
        error = FieldError("answer", "required", pressure_message("choose"))
        return invalid((error,), from_form, department.id)
    chosen: PressureAnswer = answer
    store.add(calendar.month(now), department.id, chosen)
    return Outcome(201, "recorded", {"recorded": True}, from_form, department=department.id)


def _fields(body: bytes, from_form: bool) -> dict[str, str] | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if from_form:
        pairs = parse_qsl(text, keep_blank_values=True)
        return {k: v for k, v in pairs if k in ("department", "answer")}
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError):
        return None
    if not isinstance(data, dict) or set(data) - {"department", "answer"}:
        return None
    if not all(isinstance(v, str) for v in data.values()):
        return None
    return {str(k): str(v) for k, v in data.items()}


def thanks_page(department: str | None) -> str:
    from html import escape

    from manyi.collector.pages import short_document

    title = pressure_message("recorded")
    back = f"/d/{department}/" if department else "/"
    return short_document(
        title,
        f"<h1>{escape(title)}</h1>\n<p>{escape(pressure_message('recorded_detail'))}</p>\n"
        f'<p><a href="{escape(back)}">{escape(pressure_message("back"))}</a></p>',
    )
