"""The office's results pages under `/results/` in `manyi serve`, behind the office's token.

Framework-free: `ResultsSite.handle` takes a request's method, path, query, headers and body and
returns a status, headers and body, so the server only routes `/results/` here. Pages:
- `/results/`: the months with results, each with its report and downloads;
- `/results/<YYYY-MM>/`: the month's report (rendered from the current state);
- `/results/<YYYY-MM>/results.json|summary.csv|options.csv|results.xlsx`: its data.
The token (`manyi token`) is given once in a form (or `Authorization: Bearer`); the answer sets
an HttpOnly, SameSite=Strict cookie limited to /results/, Secure when served over HTTPS.
Nothing here is cached or indexed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec
from urllib.parse import parse_qs

from markupsafe import escape

from manyi.model import Questionnaire
from manyi.reports.files import FILES, month_file
from manyi.reports.view import TREND_MONTHS, month_view
from manyi.results.backends import local_pressure
from manyi.results.office_token import token_matches
from manyi.selection import BadSelection, Selection, parse_selection
from manyi.serving.wsgi import TOO_LARGE, Environ, StartResponse, plain, read_request, respond
from manyi.store.results.sqlite import SqliteResultsStore

PREFIX = "/results/"
COOKIE = "manyi_office"
# A browser sends one cookie of a name per path and domain that matches: a few at most.
MAX_COOKIE_VALUES = 8
# The pages take only a login form.
MAX_BODY_BYTES = 4096
MONTH_PATH = re.compile(r"^/results/(\d{4}-(?:0[1-9]|1[0-2]))/([a-z]+\.[a-z]+)?$")
HTML = {"Content-Type": "text/html; charset=utf-8"}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
    ),
}

Params = ParamSpec("Params")


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;font-size:18px;"
        "line-height:1.6;max-width:48rem;margin:0 auto;padding:1rem}"
        "input,button{font-size:1.1rem;padding:.4rem}li{margin:.4rem 0}</style></head>"
        f"<body>{body}</body></html>"
    ).encode()


def _with_security_headers(
    handle: Callable[Params, Response],
) -> Callable[Params, Response]:
    """Every answer of the site carries the security headers (its own headers win)."""

    @functools.wraps(handle)
    def secured(*args: Params.args, **kwargs: Params.kwargs) -> Response:
        response = handle(*args, **kwargs)
        response.headers = {**SECURITY_HEADERS, **response.headers}
        return response

    return secured


class ResultsSite:
    """The pages over the local results state in the data folder (`manyi serve`)."""

    def __init__(self, data: Path, questionnaire: Questionnaire) -> None:
        self.data = data
        self.questionnaire = questionnaire

    def open_store(self) -> SqliteResultsStore:
        return SqliteResultsStore.in_folder(self.data)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """As a WSGI app, mounted at /results/ by `manyi serve`."""
        request = read_request(environ, MAX_BODY_BYTES)
        if request is None:
            return plain(environ, start_response, 413, TOO_LARGE)
        secure = environ.get("wsgi.url_scheme") == "https"
        answer = self.handle(*request, secure=secure)
        return respond(
            environ, start_response, answer.status, [*answer.headers.items()], answer.body
        )

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        lowered = {k.lower(): v for k, v in headers.items()}
        authorization = lowered.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return token_matches(self.data, authorization[7:].strip())
        given = cookie_values(lowered.get("cookie", ""), COOKIE)[:MAX_COOKIE_VALUES]
        return any(token_matches(self.data, value) for value in given)

    @_with_security_headers
    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        secure: bool = False,
    ) -> Response:
        if path == "/results":
            return Response(308, b"", {"Location": PREFIX})
        if path == f"{PREFIX}login":
            if method != "POST":
                return Response(405, b"", {"Allow": "POST"})
            return self._login(body, secure)
        if method not in ("GET", "HEAD"):
            return Response(405, b"", {"Allow": "GET, HEAD"})
        if not self._authorized(headers):
            return self._login_form(401)
        if path == PREFIX:
            return self._index()
        match = MONTH_PATH.match(path)
        name = (match.group(2) or "report.html") if match else ""
        if match is None or name not in FILES:
            page = _page("找不到页面", "<h1>找不到页面</h1>")
            return Response(404, page, HTML)
        fields = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            selection = parse_selection(
                self.questionnaire, fields.get("respondent"), fields.get("entry")
            )
        except BadSelection as error:
            page = _page("筛选条件不正确", f"<h1>筛选条件不正确</h1><p>{escape(str(error))}</p>")
            return Response(400, page, HTML)
        return self._month(match.group(1), name, selection)

    def _login_form(self, status: int, wrong: bool = False) -> Response:
        message = '<p role="alert">访问码不正确，请重新输入。</p>' if wrong else ""
        body = (
            "<h1>测评结果（仅限法治政府建设领导小组办公室）</h1>"
            f'{message}<form method="post" action="{PREFIX}login">'
            '<p><label for="token">访问码（由 <code>manyi token</code> 显示）</label><br>'
            '<input id="token" name="token" type="password" autocomplete="current-password" '
            'required></p><p><button type="submit">进入</button></p></form>'
        )
        return Response(status, _page("测评结果", body), HTML)

    def _login(self, body: bytes, secure: bool) -> Response:
        fields = parse_qs(body.decode("utf-8", errors="replace"))
        token = (fields.get("token") or [""])[0].strip()
        if not token_matches(self.data, token):
            return self._login_form(401, wrong=True)
        cookie = f"{COOKIE}={token}; Path={PREFIX}; HttpOnly; SameSite=Strict"
        if secure:
            cookie += "; Secure"
        return Response(303, b"", {"Location": PREFIX, "Set-Cookie": cookie})

    def _index(self) -> Response:
        store = self.open_store()
        try:
            months = store.months()
        finally:
            store.close()
        items = "".join(
            f'<li><a href="{PREFIX}{m}/">{m} 月度测评报告</a>（'
            f'<a href="{PREFIX}{m}/results.xlsx">XLSX</a>、'
            f'<a href="{PREFIX}{m}/summary.csv">CSV</a>、'
            f'<a href="{PREFIX}{m}/results.json">JSON</a>）</li>'
            for m in reversed(months)
        )
        body = f"<h1>{escape(self.questionnaire.title)} 测评结果</h1>" + (
            f"<ul>{items}</ul>" if items else "<p>还没有统计结果：请先运行 manyi aggregate。</p>"
        )
        return Response(200, _page("测评结果", body), HTML)

    def _month(self, month: str, name: str, selection: Selection) -> Response:
        """A month's file; `?respondent=…&entry=self|staff` filters every one of them."""
        store = self.open_store()
        pressure = local_pressure(self.data)
        try:
            view = month_view(self.questionnaire, store, month, TREND_MONTHS, selection, pressure)
        finally:
            store.close()
            if pressure is not None:
                pressure.close()
        content, content_type = month_file(self.questionnaire, view, name)
        headers = {"Content-Type": content_type}
        if name != "report.html":
            headers["Content-Disposition"] = f'attachment; filename="manyi-{month}-{name}"'
        return Response(200, content, headers)


def cookie_values(header: str, name: str) -> list[str]:
    """Every value of the cookie `name` in a Cookie header, in order: `a=1; b=2` as browsers
    send it, without the quoting rules of http.cookies, so that another site's malformed
    cookie on the same host cannot hide ours."""
    values = []
    for pair in header.split(";"):
        key, equals, value = pair.partition("=")
        if equals and key.strip() == name:
            values.append(value.strip())
    return values
