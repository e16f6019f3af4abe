"""The one kind of cookie manyi sets: HttpOnly, SameSite=Strict, Secure over HTTPS.

The collector's repeat marker and the workspace's session and login cookies are all of this
kind; a cookie that a script or another site could read or send has no use here.
"""

from __future__ import annotations

from aws_lambda_powertools.shared.cookies import Cookie, SameSite


def strict_cookie(name: str, value: str, *, path: str, secure: bool, max_age: int | None) -> Cookie:
    """HttpOnly and SameSite=Strict always, Secure whenever the site is reached over HTTPS."""
    return Cookie(
        name,
        value,
        path=path,
        secure=secure,
        http_only=True,
        max_age=max_age,
        same_site=SameSite.STRICT_MODE,
    )
