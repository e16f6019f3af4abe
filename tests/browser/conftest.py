"""The page tests' built site: with the fake collector, or served by a real `manyi serve`.

The browser itself is in tests/conftest.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from manyi.model import Questionnaire
from site_builder.build import build_site
from tests.browser.fake_collector import FakeCollector
from tests.serving import Served, serving

# A page's script starts once the page has painted (templates/load.js), which can be after the
# load event that Playwright's navigations wait for. A person acts on the page they see; the tests
# act at once, so with JavaScript on, each navigation also waits until the script has marked
# <html data-enhanced> (pages without the loader wait for nothing).
SCRIPT_STARTED = (
    "() => !document.querySelector('script[data-src]')"
    " || document.documentElement.hasAttribute('data-enhanced')"
)
NAVIGATIONS = ("goto", "reload", "go_back", "go_forward", "wait_for_url", "wait_for_load_state")


@pytest.fixture(autouse=True, scope="session")
def navigations_wait_for_the_script() -> Iterator[None]:
    from playwright.sync_api import Browser, Page

    def remembering(open_: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(open_)
        def opened(self: Any, *args: Any, **options: Any) -> Any:
            made = open_(self, *args, **options)
            made.manyi_scripts_run = options.get("java_script_enabled") is not False
            return made

        return opened

    def waiting(navigate: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(navigate)
        def navigated(page: Any, *args: Any, **options: Any) -> Any:
            answer = navigate(page, *args, **options)
            owner = page.context if hasattr(page.context, "manyi_scripts_run") else page
            if getattr(owner, "manyi_scripts_run", True):
                page.wait_for_function(SCRIPT_STARTED)
            return answer

        return navigated

    with pytest.MonkeyPatch.context() as patch:
        for name in ("new_context", "new_page"):
            patch.setattr(Browser, name, remembering(getattr(Browser, name)))
        for name in NAVIGATIONS:
            patch.setattr(Page, name, waiting(getattr(Page, name)))
        yield


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


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, questionnaire: Questionnaire
) -> Iterator[Served]:
    """The built site and the real collector in one `manyi serve` process, per test module."""
    folder = tmp_path_factory.mktemp("served")
    build_site(questionnaire, folder / "dist", base_url="http://127.0.0.1")
    with serving(folder / "data", folder / "dist") as server:
        yield server
