"""Fixtures shared by the whole suite, the one real browser among them."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from manyi.loader import load_questionnaire
from manyi.model import Questionnaire
from tests.results_aws import fake_aws  # noqa: F401 - a fixture for every module

ROOT = Path(__file__).resolve().parents[1]

# `make mutation` (docs/testing.md) runs the figures' tests once per mutant, two at a time:
# the same examples every run, so a kill is reproducible, and no timing checks on a busy machine.
settings.register_profile(
    "mutation",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# One Playwright per test session: its sync API refuses to start a second one in the same
# thread while the first is running.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


# A test's tier is the folder it lives in (docs/testing.md): the marker follows from it, so
# `pytest -m "not browser and not slow"` needs no list kept by hand.
TIERS = ("unit", "integration", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        relative = item.path.resolve().relative_to(tests)
        if relative.parts[0] in TIERS:
            item.add_marker(relative.parts[0])


@pytest.fixture(autouse=True, scope="session")
def one_botocore_loader() -> Iterator[None]:
    """Every botocore session reads its JSON service models and endpoints afresh, and moto
    starts a new default session for each mock: one loader for the whole run makes a test's
    `boto3.client` take milliseconds instead of a tenth of a second. Within one session botocore
    already shares its loader between clients, so sharing it further changes nothing else."""
    import botocore.session

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            botocore.session, "create_loader", functools.cache(botocore.session.create_loader)
        )
        yield


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def bfcache_browser(playwright: Any) -> Iterator[Any]:
    """Chromium as phones run it, with the back/forward cache that Playwright turns off: Back
    shows the page exactly as it was left, scripts' state and ticked boxes included."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    return load_questionnaire(ROOT / "questionnaire.yaml")
