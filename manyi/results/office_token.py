"""The office's access token for the results pages of `manyi serve`, kept in the data folder.

Made on first use (32 random bytes, URL-safe), readable by the file's owner only, compared in
constant time. `manyi token` prints it; `manyi token --new` replaces it.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

FILE_NAME = "office-token"


def token_path(data: Path) -> Path:
    return data / FILE_NAME


def office_token(data: Path, *, new: bool = False) -> str:
    path = token_path(data)
    if not new and path.exists():
        token = path.read_text(encoding="ascii").strip()
        if token:
            return token
    data.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    partial = path.with_name(FILE_NAME + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(token + "\n")
    partial.replace(path)
    return token


def token_matches(data: Path, given: str | None) -> bool:
    path = token_path(data)
    if not given or not path.exists():
        return False
    expected = path.read_text(encoding="ascii").strip()
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())
