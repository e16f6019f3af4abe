"""Page counts of documents as printed: LibreOffice headless converts them to PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def pdf_pages(pdf: bytes) -> int:
    """The number of page objects in a PDF (LibreOffice and Chromium write one per page)."""
    return len(_PAGE.findall(pdf))


def libreoffice_pages(files: Sequence[Path]) -> dict[str, int]:
    """File name → page count, converting them all in one LibreOffice run, with a profile of its
    own (two runs sharing one would block each other)."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: scripts/setup.sh installs libreoffice-writer-nogui"
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "pdf"
        subprocess.run(
            [
                soffice, f"-env:UserInstallation=file://{work}/profile", "--headless",
                "--convert-to", "pdf", "--outdir", str(out), *map(str, files),
            ],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        return {f.name: pdf_pages((out / f"{f.stem}.pdf").read_bytes()) for f in files}
