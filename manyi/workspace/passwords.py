"""Staff passwords: scrypt hashes, the one-time initial password, and what a new one must be.

Why scrypt from the standard library (not argon2-cffi): it is memory-hard, needs no compiled
dependency in the arm64 Lambda artifact, and its cost is set per hash, so it can be raised
later (an older hash is re-made at the next login). The cost, N = 2^15, r = 8, p = 1 (32 MiB,
about 0.1 s), is twice Django's scrypt default: a login is rare, but in `manyi serve` it holds
the same lock as the collector (Powertools keeps the current request in class state), so a
citizen's submission may wait behind it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import cache
from importlib import resources
from typing import NamedTuple

MIN_LENGTH = 10
MAX_LENGTH = 128
# No 0/O, 1/l/I: the initial password is read off a screen and typed by someone else.
INITIAL_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
INITIAL_LENGTH = 14  # about 80 bits
KEYBOARD_RUNS = ("01234567890", "09876543210", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghij")


class ScryptCost(NamedTuple):
    n: int = 2**15
    r: int = 8
    p: int = 1


DEFAULT_COST = ScryptCost()


def hash_password(password: str, cost: ScryptCost = DEFAULT_COST) -> str:
    salt = os.urandom(16)
    digest = _scrypt(password, salt, cost)
    return "$".join(["scrypt", str(cost.n), str(cost.r), str(cost.p), _b64(salt), _b64(digest)])


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` made `encoded`; False for anything else, a malformed hash too."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        cost = ScryptCost(int(n), int(r), int(p))
        expected = _unb64(digest)
        if scheme != "scrypt":
            return False
        return hmac.compare_digest(_scrypt(password, _unb64(salt), cost), expected)
    except ValueError:
        return False


def needs_rehash(encoded: str, cost: ScryptCost = DEFAULT_COST) -> bool:
    parts = encoded.split("$")
    return len(parts) != 6 or parts[1:4] != [str(cost.n), str(cost.r), str(cost.p)]


@cache
def dummy_hash(cost: ScryptCost = DEFAULT_COST) -> str:
    """A hash to check a password against when the account does not exist, so that a login
    for an unknown name takes as long as one for a real name."""
    return hash_password(secrets.token_urlsafe(16), cost)


def initial_password() -> str:
    return "".join(secrets.choice(INITIAL_ALPHABET) for _ in range(INITIAL_LENGTH))


def password_problems(password: str, username: str) -> list[str]:
    """What is wrong with a new password, in Chinese for the person choosing it; [] if fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少需要 {MIN_LENGTH} 个字符。")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码不能超过 {MAX_LENGTH} 个字符。")
    lowered = password.lower()
    if lowered in common_passwords() or _is_run(lowered):
        problems.append("这个密码太常见，很容易被猜到，请换一个。")
    elif len(set(password)) < 4:
        problems.append("密码里不同的字符太少，请混合使用字母、数字或符号。")
    if username and username.lower() in lowered:
        problems.append("密码不能包含用户名。")
    return problems


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _is_run(lowered: str) -> bool:
    """A stretch of one keyboard row or of the digits, e.g. 3456789012 or qwertyuiop."""
    return any(lowered in run * 2 or lowered in run[::-1] * 2 for run in KEYBOARD_RUNS)


def _scrypt(password: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=256 * cost.n * cost.r * cost.p + 8 * 1024 * 1024,
        dklen=32,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
