"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from manyi.loader import load_questionnaire
from manyi.model import Questionnaire

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    return load_questionnaire(ROOT / "questionnaire.yaml")
