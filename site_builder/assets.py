"""The site's CSS and script, read from templates/: the screen style inline, the rest by hash.

The screen style sheet (templates/site.css, under 2 KB gzipped) goes inside every screen page,
allowed by its hash in the Content-Security-Policy: a separate file would be a render-blocking
request before the first paint (Lighthouse mobile: FCP 1.4x that of a bare page). What is not
needed to paint the first screen stays in files named by a hash of their content and cached for
good: the script (a module, which never blocks the paint) and the print style sheet.

The script gets the answer messages (`manyi.messages.ANSWER`) and the page's own
(`manyi.messages.PAGE`, with the collector's heading of a list of problems) baked in, so the page
says exactly what the collector says. A changed byte gives a file a new name, which is
what lets browsers and the CDN cache the files forever.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from manyi.messages import ANSWER, PAGE, SUBMISSION

# templates/ sits at the root of the checkout, beside this package; an installed wheel carries
# it inside the package (pyproject.toml maps it to site_builder.templates).
_PACKAGE = Path(__file__).resolve().parent
TEMPLATES = (
    _PACKAGE / "templates" if (_PACKAGE / "templates").is_dir() else _PACKAGE.parent / "templates"
)
ASSET_FOLDER = "assets"
HASH_LENGTH = 10

# The script's placeholders: valid JavaScript as written, replaced by JSON when built.
ANSWER_PLACEHOLDER = "/*ANSWER_MESSAGES*/{}"
PAGE_PLACEHOLDER = "/*PAGE_MESSAGES*/{}"
# What the script says besides the answers' problems.
SCRIPT_PAGE_MESSAGES: dict[str, str] = dict(PAGE.items())
SCRIPT_PAGE_MESSAGES["invalid_answers"] = SUBMISSION["invalid_answers"]


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # inside dist/, e.g. "assets/site.0a1b2c3d4e.css"
    content: bytes

    @property
    def url(self) -> str:
        return "/" + self.path


@dataclass(frozen=True, slots=True)
class Inline:
    """CSS or script written into a page's <style> or <script>, and the CSP source that allows
    exactly that text."""

    text: str

    @property
    def csp_source(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8")).digest()
        return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@dataclass(frozen=True, slots=True)
class Assets:
    screen_css: Inline
    print_css: Asset
    site_js: Asset
    # Starts site_js once the page has painted (templates/load.js).
    loader_js: Inline

    def all(self) -> tuple[Asset, ...]:
        """The files to write into dist/."""
        return (self.print_css, self.site_js)


@lru_cache(maxsize=4)
def load_assets(templates: Path = TEMPLATES) -> Assets:
    script = (templates / "site.js").read_text(encoding="utf-8")
    for placeholder in (ANSWER_PLACEHOLDER, PAGE_PLACEHOLDER):
        if placeholder not in script:
            raise ValueError(f"{templates / 'site.js'}: placeholder {placeholder} is missing")
    script = script.replace(ANSWER_PLACEHOLDER, _json(ANSWER)).replace(
        PAGE_PLACEHOLDER, _json(SCRIPT_PAGE_MESSAGES)
    )
    return Assets(
        screen_css=_inline_style(templates / "site.css"),
        print_css=_hashed("print", "css", (templates / "print.css").read_bytes()),
        site_js=_hashed("site", "js", script.encode("utf-8")),
        loader_js=_inline_script(templates / "load.js"),
    )


def _inline_style(path: Path) -> Inline:
    # Comments and line breaks only cost bytes in every page; the file keeps them for people.
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = "".join(line.strip() for line in text.splitlines())
    return _inline(path, text)


def _inline_script(path: Path) -> Inline:
    # Whole-line comments and indentation go; the line breaks stay (they end statements).
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return _inline(path, "\n".join(line for line in lines if line and not line.startswith("//")))


def _inline(path: Path, text: str) -> Inline:
    if "</" in text or "<!--" in text:
        raise ValueError(f"{path}: `</` or `<!--` would end or confuse the inline element")
    return Inline(text)


def _hashed(stem: str, suffix: str, content: bytes) -> Asset:
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    return Asset(f"{ASSET_FOLDER}/{stem}.{digest}.{suffix}", content)


def _json(value: object) -> str:
    # "</" cannot end a script element here (it is a separate file), but keep the JSON safe to
    # inline anyway.
    return json.dumps(value, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
