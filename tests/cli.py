"""Run the `manyi` command of this checkout as its own process, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manyi(*args: str, timeout: float | None = 300) -> subprocess.CompletedProcess[str]:
    """`python -m manyi ARGS` from the checkout's root; its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "manyi", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
