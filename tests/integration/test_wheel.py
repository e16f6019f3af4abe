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
    built = subprocess.run(
        [str(venv / "bin" / "manyi"), "build", "--out", "dist"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(venv / "bin"), "HOME": str(tmp_path)},
        check=False,
    )
    assert built.returncode == 0, built.stderr
    page = (work / "dist" / "d" / "sifaju" / "index.html").read_text(encoding="utf-8")
    assert "依法行政调查问卷" in page
    # The screen style sheet is inline in each page; the print one is a hashed asset.
    assert list((work / "dist" / "assets").glob("print.*.css"))
