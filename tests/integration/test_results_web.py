"""The office's pages under /results/: never without the token, then the months and files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from manyi.model import Questionnaire
from manyi.results.office_token import office_token
from manyi.results.web import ResultsSite
from tests.results_data import counted_store, made_up_submissions


@pytest.fixture
def site(questionnaire: Questionnaire, tmp_path: Path) -> ResultsSite:
    data = tmp_path / "data"
    data.mkdir()
    store = counted_store(
        questionnaire, made_up_submissions(questionnaire), str(data / "results.sqlite3")
    )
    store.close()
    return ResultsSite(data, questionnaire)


def get(site: ResultsSite, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    r = site.handle("GET", path, "", headers, b"")
    return r.status, r.headers, r.body


@pytest.mark.parametrize(
    "path", ["/results/", "/results/2026-11/", "/results/2026-11/results.xlsx", "/results/x"]
)
def test_nothing_is_shown_without_the_token(site: ResultsSite, path: str) -> None:
    office_token(site.data)
    status, headers, body = get(site, path)
    assert status == 401
    assert "访问码" in body.decode()
    assert b"2026-11" not in body
    assert headers["Cache-Control"] == "no-store"
    status, _, _ = get(site, path, Authorization="Bearer not-the-token")
    assert status == 401
    status, _, _ = get(site, path, Cookie="manyi_office=not-the-token")
    assert status == 401


def test_without_a_token_file_nobody_gets_in(site: ResultsSite) -> None:
    status, _, _ = get(site, "/results/", Authorization="Bearer ")
    assert status == 401


def test_the_login_form_sets_a_strict_cookie(site: ResultsSite) -> None:
    token = office_token(site.data)
    wrong = site.handle("POST", "/results/login", "", {}, b"token=nope")
    assert wrong.status == 401
    assert "访问码不正确" in wrong.body.decode()
    right = site.handle("POST", "/results/login", "", {}, f"token={token}".encode())
    assert right.status == 303
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/results/" in cookie
    status, _, body = get(site, "/results/", Cookie=cookie.split(";")[0])
    assert status == 200
    assert "2026-11 月度测评报告" in body.decode()
    assert body.decode().index("2026-11") < body.decode().index("2026-09")


@pytest.mark.parametrize(
    "cookie",
    [
        'a="b; manyi_office={token}',  # another cookie's stray quote hides nothing
        "manyi_office={token}; manyi_office=stale",  # one per path: the token is among them
        "manyi_office=stale; manyi_office={token}",
        "theme=dark;manyi_office={token} ; lang=zh",
    ],
)
def test_the_token_cookie_is_found_the_way_browsers_send_cookies(
    site: ResultsSite, cookie: str
) -> None:
    token = office_token(site.data)
    status, _, _ = get(site, "/results/", Cookie=cookie.format(token=token))
    assert status == 200


def test_the_cookie_is_secure_when_the_pages_are_served_over_https(site: ResultsSite) -> None:
    token = office_token(site.data).encode()
    answers: list[tuple[str, list[tuple[str, str]]]] = []
    for scheme, secure in (("https", True), ("http", False)):
        answers.clear()
        body = b"token=" + token
        site(
            {
                "REQUEST_METHOD": "POST",
                "REQUEST_URI": "/results/login",
                "PATH_INFO": "/results/login",
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": scheme,
            },
            lambda status, headers, *_: answers.append((status, headers)),
        )
        status, headers = answers[0]
        assert status.startswith("303")
        cookie = dict(headers)["Set-Cookie"]
        assert ("; Secure" in cookie) is secure


@pytest.mark.slow
def test_the_month_report_and_its_files(site: ResultsSite) -> None:
    auth = {"Authorization": f"Bearer {office_token(site.data)}"}
    status, headers, body = get(site, "/results/2026-11/", **auth)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"<svg" in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, headers, body = get(site, "/results/2026-11/results.xlsx", **auth)
    assert status == 200
    assert body[:2] == b"PK"
    assert "attachment" in headers["Content-Disposition"]
    status, _, body = get(site, "/results/2026-11/results.json", **auth)
    assert status == 200
    assert b'"departments"' in body
    for missing in ("/results/2026-13/", "/results/2026-11/secrets.txt", "/results/nope"):
        assert get(site, missing, **auth)[0] == 404
    assert site.handle("POST", "/results/2026-11/", "", auth, b"").status == 405
    assert site.handle("GET", "/results/login", "", auth, b"").status == 405
    assert get(site, "/results")[0] == 308


@pytest.mark.slow
def test_every_file_of_a_month_takes_the_respondent_and_channel_group_filter(
    site: ResultsSite,
) -> None:
    auth = {"Authorization": f"Bearer {office_token(site.data)}"}

    def responses(query: str) -> int:
        answer = site.handle("GET", "/results/2026-11/results.json", query, auth, b"")
        assert answer.status == 200
        return int(json.loads(answer.body)["city"]["responses"])

    everything = responses("")
    self_completed, staff = responses("entry=self"), responses("entry=staff")
    assert self_completed + staff == everything
    assert 0 < staff < everything  # made_up_submissions: leaflet, wechat and phone
    assert responses("respondent=private&entry=staff") <= staff
    refused = site.handle("GET", "/results/2026-11/", "entry=clerk", auth, b"")
    assert refused.status == 400
    assert "填写方式“clerk”不存在" in refused.body.decode("utf-8")
    page = site.handle("GET", "/results/2026-11/", "entry=staff", auth, b"").body.decode("utf-8")
    assert "（工作人员代录；" in page
