"""One error base: every error class of manyi and site_builder derives from ManyiError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import manyi
import site_builder
from manyi.cli import main
from manyi.errors import ManyiError


def _error_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (manyi, site_builder):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.endswith("__main__"):
                continue
            loaded = importlib.import_module(module.name)
            for name, value in vars(loaded).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == loaded.__name__
                    and not name.startswith("_")
                ):
                    found[f"{value.__module__}.{name}"] = value
    return [found[key] for key in sorted(found)]


ERRORS = _error_classes()


def test_the_walk_finds_the_errors_it_should() -> None:
    names = {error.__name__ for error in ERRORS}
    assert {"CommandError", "DefinitionError", "StoreUnavailable", "SiteError"} <= names


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: f"{e.__module__}.{e.__name__}")
def test_every_error_derives_from_the_one_base(error: type[BaseException]) -> None:
    assert issubclass(error, ManyiError)


def test_main_reports_an_error_once_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["served", "set", "没有这个部门", "10", "--month", "2026-11", "--data", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("manyi served:") == 1
    assert "没有这个部门" in err
    assert "Traceback" not in err
