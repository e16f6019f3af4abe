"""The page tests' built site: with the fake collector, or served by a real `manyi serve`.

The browser itself is in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from manyi.model import Questionnaire
from site_builder.build import build_site
from tests.browser.fake_collector import FakeCollector
from tests.serving import Served, serving


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
