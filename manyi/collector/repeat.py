"""A plain form posted again by accident (JavaScript off: Back, then 提交) is not stored twice.

A page without its script sends no submission ID, so the collector cannot tell the same filled
form sent twice from a new response. After a plain form is stored, the 303 carries a cookie
holding a salted hash of what was sent (department, channel, version, answers). A later plain
post from that browser with exactly the same content is not stored: it gets the form back with
the answers kept, a notice that they were already received, a 再填一份 link to a blank form,
and the cookie cleared, so that pressing 提交 once more (a second person with the very same
answers on a shared phone at a meeting) stores it, deliberately.

The cookie holds no answers and nothing that names anyone; it lives half an hour, goes only
to the submissions route of the same site, and nothing of it is kept or logged on the server.
The page's script does not need it: it keeps one submission ID per filled form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping

from aws_lambda_powertools.shared.cookies import Cookie

from manyi.cookies import strict_cookie
from manyi.model import AnswerValue

COOKIE = "manyi_sent"
MAX_AGE_SECONDS = 1800
_SALT_BYTES = 9
_DIGEST_BYTES = 12


def fingerprint(
    department: str, channel: str, version: str, answers: Mapping[str, AnswerValue]
) -> bytes:
    """The content of a submission, in a canonical form (answers as check_answers gives them)."""
    content = [department, channel, version, sorted((k, v) for k, v in answers.items())]
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def token(content: bytes, salt: bytes | None = None) -> str:
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    return f"{_b64(salt)}.{_b64(_digest(salt, content))}"


def matches(sent: str | None, content: bytes) -> bool:
    """Whether `sent` (the cookie's value, if any) was made from exactly this content."""
    if not sent or sent.count(".") != 1:
        return False
    salt_text, digest_text = sent.split(".")
    try:
        salt = base64.urlsafe_b64decode(salt_text + "=" * (-len(salt_text) % 4))
    except ValueError:
        return False
    return hmac.compare_digest(_b64(_digest(salt, content)), digest_text)


def from_cookies(cookies: Iterable[str], wanted: str = COOKIE) -> str | None:
    """The cookie's value among the request's `name=value` pairs (API Gateway's `cookies`)."""
    for pair in cookies:
        name, _, value = pair.strip().partition("=")
        if name == wanted:
            return value
    return None


def set_cookie(value: str, path: str, secure: bool, name: str = COOKIE) -> Cookie:
    """The cookie that remembers a sent form for half an hour (`name`: the complaint form's
    own, manyi.complaints.intake)."""
    return _cookie(value, path, MAX_AGE_SECONDS, secure, name)


def clear_cookie(path: str, secure: bool) -> Cookie:
    return _cookie("", path, 0, secure)


def _cookie(value: str, path: str, max_age: int, secure: bool, name: str = COOKIE) -> Cookie:
    return strict_cookie(name, value, path=path, secure=secure, max_age=max_age)


def _digest(salt: bytes, content: bytes) -> bytes:
    return hashlib.sha256(salt + content).digest()[:_DIGEST_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
