"""The workspace's HTTP app: a Powertools resolver made from the route table, with every
route's access rule, the forced password change and the CSRF check applied before its page.

Order of checks, for every request: read it (a bad body is a 4xx page), find the session, the
access rule (no session: to the login page; the wrong account: 403), the password change a new
account owes, then on a POST the CSRF token (403, nothing changed), then the page (a helper of
the page may answer for it by raising `Answered`: caught here, it is the page's answer, and
what follows a page, the stale cookie's clearing, follows it too). Anything unexpected is
logged with the request's correlation ID and answered with a 503 page: never a stack trace.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from manyi.cookies import strict_cookie
from manyi.store.errors import StoreUnavailable
from manyi.workspace.access import Access, Call, message_page
from manyi.workspace.context import PREFIX, Workspace
from manyi.workspace.http import Answered, BadRequest, Request, read_request, redirect
from manyi.workspace.routes import BEFORE_PASSWORD_CHANGE, ROUTES, Route
from manyi.workspace.session import SESSION_COOKIE, authenticate, tokens_match

SEGMENT = re.compile(r"<[a-z_]+>")


class WithholdRequestValues(logging.Filter):
    """Powertools' resolver logs at DEBUG each call's route arguments and each unmatched path,
    and a self-service link's secret is both. The lines stay (they show the routing); the
    values go."""

    LINES = ("Calling API Route Handler", "No match found for path")

    def filter(self, record: logging.LogRecord) -> bool:
        for line in self.LINES:
            if isinstance(record.msg, str) and record.msg.startswith(line):
                record.msg, record.args = f"{line} (values withheld)", ()
        return True


RESOLVER_LOG = logging.getLogger("aws_lambda_powertools.event_handler.api_gateway")


def build_resolver(ws: Workspace, logger: Logger) -> APIGatewayHttpResolver:
    # debug=False: Powertools' debug mode (POWERTOOLS_DEV) prints every event, with its
    # cookies and uploads, to the log; an environment variable must not switch that on.
    app = APIGatewayHttpResolver(debug=False)
    if not any(isinstance(f, WithholdRequestValues) for f in RESOLVER_LOG.filters):
        RESOLVER_LOG.addFilter(WithholdRequestValues())
    for route in ROUTES:
        methods = ["GET", "HEAD"] if route.method == "GET" else [route.method]
        app.route(route.path, method=methods)(_endpoint(app, ws, route, logger))
    patterns = [(re.compile("^" + SEGMENT.sub("[^/]+", r.path) + "$"), r.method) for r in ROUTES]

    def not_found(error: NotFoundError) -> Response[str]:
        call = _anonymous_call(ws, app.current_event.raw_event)
        path = app.current_event.path
        allowed = sorted({method for pattern, method in patterns if pattern.match(path)})
        if allowed:
            page = message_page(call, 405, "不支持的请求", "这个网址不支持这种请求方式。")
            page.headers["Allow"] = ", ".join(allowed)
            return page
        return message_page(call, 404, "找不到页面", "没有这个页面。请检查网址，或从首页进入。")

    def unavailable(error: StoreUnavailable) -> Response[str]:
        logger.warning("store unavailable", extra={"reason": str(error)})
        call = _anonymous_call(ws, app.current_event.raw_event)
        page = message_page(call, 503, "暂时无法使用", "系统繁忙，请稍后刷新页面再试。")
        page.headers["Retry-After"] = str(error.retry_after)
        return page

    def unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error; answered 503")
        call = _anonymous_call(ws, app.current_event.raw_event)
        return message_page(call, 503, "暂时无法使用", "系统出现问题，请稍后刷新页面再试。")

    # Registered by call, not as decorators: Powertools' decorator is untyped.
    app.exception_handler(NotFoundError)(not_found)
    app.exception_handler(StoreUnavailable)(unavailable)
    app.exception_handler(Exception)(unexpected)
    return app


def _endpoint(app: APIGatewayHttpResolver, ws: Workspace, route: Route, logger: Logger) -> Any:
    def endpoint(**params: str) -> Response[Any]:
        return handle(ws, route, app.current_event.raw_event, params, logger)

    return endpoint


def handle(
    ws: Workspace, route: Route, event: dict[str, Any], params: dict[str, str], logger: Logger
) -> Response[Any]:
    try:
        request = read_request(event, ws.settings.addresses)
    except BadRequest as bad:
        return message_page(_anonymous_call(ws, event), bad.status, "无法处理", bad.message)
    given = request.cookies.get(SESSION_COOKIE)
    staff = authenticate(ws, given)
    if route.access.about_complaint and staff is not None:
        found = _complaint_params(ws, params.get("number", ""))
        if found is None:
            call = Call(ws, request, staff, params)
            return message_page(call, 404, "找不到投诉", "没有这个受理编号的投诉。")
        params = {**params, **found}
    call = Call(ws, request, staff, params)
    if not route.access.allows(staff, params):
        if staff is None:
            return _to_login(call, stale=bool(given))
        logger.info("access refused", extra={"route": route.name, "role": staff.role})
        return message_page(call, 403, "无权访问", "您的账号不能使用这个页面。")
    owes_change = staff is not None and staff.account.must_change_password
    if owes_change and route.name not in BEFORE_PASSWORD_CHANGE:
        return redirect(f"{PREFIX}password")
    if route.method == "POST" and route.access is not Access.ANONYMOUS:
        token = staff.session.csrf_token if staff is not None else ""
        if not tokens_match(token, request.field("csrf", 200)):
            logger.info("csrf token missing or wrong", extra={"route": route.name})
            return message_page(
                call,
                403,
                "页面已过期",
                "页面已过期或来源不明，未作任何修改。请返回并刷新页面后重试。",
            )
    try:
        response = route.page(call)
    except Answered as answered:  # a helper's refusal: the page's answer all the same
        response = answered.response
    if given and staff is None:
        response.cookies.append(_clear_session(call.request))
    return response


def _complaint_params(ws: Workspace, number: str) -> dict[str, str] | None:
    """What a complaint rule reads of the complaint: its handler, department and subject."""
    if ws.complaints is None:
        return None
    complaint = ws.complaints.store.get(number)
    if complaint is None:
        return None
    return {
        "handler": complaint.handler,
        "complaint_department": complaint.department,
        "about": complaint.about,
    }


def _to_login(call: Call, *, stale: bool) -> Response[str]:
    request = call.request
    target = request.path + (f"?{urlencode(request.query)}" if request.query else "")
    location = f"{PREFIX}login"
    if request.method == "GET" and target != PREFIX:
        location += f"?{urlencode({'next': target})}"
    return redirect(location, [_clear_session(request)] if stale else [])


def _clear_session(request: Request) -> Any:
    return strict_cookie(SESSION_COOKIE, "", path=PREFIX, secure=request.https, max_age=0)


def _anonymous_call(ws: Workspace, event: dict[str, Any]) -> Call:
    """For error pages: the request as far as it can be read, nobody signed in."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    request = Request("GET", str(event.get("rawPath", "")), {}, {}, headers, "")
    return Call(ws, request, None, {})
