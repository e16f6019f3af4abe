"""The wheel: every package listed, templates/ inside it, and `manyi build` from a real install."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What `pip install .` needs of the checkout.
SOURCES = ("pyproject.toml", "README.md", "manyi", "site_builder", "templates")
# Every SQLite store's package under manyi.store.
STORES = (
    "cases",
    "complaints",
    "entry",
    "network_keys",
    "pressure",
    "results",
    "staff",
    "submissions",
)
# Makes a file of each store, so running all its steps, and prints the store's name.
OPEN_EVERY_STORE = f"""
import importlib
from pathlib import Path
from manyi.store.sqlite_schema import open_migrated, schema_version
for store in {STORES!r}:
    schema = importlib.import_module(f"manyi.store.{{store}}.sqlite").SCHEMA
    db = open_migrated(Path("data") / f"{{store}}.sqlite3", schema)
    assert schema_version(db) == schema.version >= 1, store
    db.close()
    print(store)
"""


def test_the_wheel_lists_every_package() -> None:
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]
    found = [
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("manyi", "site_builder")
        for init in (ROOT / top).rglob("__init__.py")
    ]
    missing = sorted(set(found) - set(listed))
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    assert "site_builder.templates" in listed


def test_the_wheel_carries_every_schema_step_file() -> None:
    # Store schemas read their steps from package files (manyi.store.sqlite_schema).
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["package-data"]["manyi"]
    carried = {path for pattern in patterns for path in (ROOT / "manyi").glob(pattern)}
    steps = set((ROOT / "manyi" / "store").glob("*/schema/*"))
    assert steps, "no schema step files found"
    missing = sorted(str(path.relative_to(ROOT)) for path in steps - carried)
    assert not missing, f"add {missing} to [tool.setuptools.package-data] in pyproject.toml"


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_virtualenv_builds_the_site(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", str(source)], check=True, timeout=900)
    # Run elsewhere than the checkout, with nothing of it on the path.
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy2(ROOT / "questionnaire.yaml", work / "questionnaire.yaml")
    shutil.rmtree(source)

    def installed(command: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """A command of the virtualenv, run in `work` with nothing else on the path."""
        return subprocess.run(
            [str(venv / "bin" / command), *args],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={"PATH": str(venv / "bin"), "HOME": str(tmp_path)},
            check=False,
        )

    built = installed("manyi", "build", "--out", "dist", timeout=300)
    assert built.returncode == 0, built.stderr
    page = (work / "dist" / "d" / "sifaju" / "index.html").read_text(encoding="utf-8")
    assert "依法行政调查问卷" in page
    # The screen style sheet is inline in each page; the print one is a hashed asset.
    assert list((work / "dist" / "assets").glob("print.*.css"))
    # Every SQLite store's schema steps come from the installed package's files.
    opened = installed("python", "-c", OPEN_EVERY_STORE, timeout=120)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.split() == list(STORES)
