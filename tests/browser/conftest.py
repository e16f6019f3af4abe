"""A real Chromium (Debian's) for the page tests, a built site, and the fake collector."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from manyi.model import Questionnaire
from site_builder.build import build_site
from tests.browser.fake_collector import FakeCollector

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _ensure_chromium() -> None:
    """Install Debian's Chromium when missing (CI machines are fresh); Playwright cannot."""
    if Path(CHROMIUM).exists() or shutil.which("apt-get") is None or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(
        [
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",
            "fonts-noto-cjk",
        ],
        check=False,
        env=env,
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    _ensure_chromium()
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing and could not be installed with apt-get")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire) -> Path:
    out = tmp_path_factory.mktemp("site") / "dist"
    build_site(questionnaire, out, base_url="http://manyi.test")
    return out


@pytest.fixture
def collector(site: Path, questionnaire: Questionnaire) -> FakeCollector:
    return FakeCollector(site, questionnaire)


def open_context(browser: Any, collector: FakeCollector, **options: Any) -> Any:
    context = browser.new_context(locale="zh-CN", **options)
    # A step that cannot happen in 15 s is a failure, not something to wait 30 s for.
    context.set_default_timeout(15_000)
    collector.install(context)
    return context
