"""Released schema steps never change (manyi.store.sqlite_schema): the SHA-256 of every step
file, manyi/store/<store>/schema/NNN.sql, is recorded in tests/golden/schema_steps.sha256 as
it was released. A recorded file that changed or is gone fails here; so does a new step file
until its line is added. The lines are as `sha256sum` writes them, so from the checkout's root
`sha256sum -c tests/golden/schema_steps.sha256` checks them too. Function steps (Python) have
no file and no line: what they do depends on the code they call, which a hash cannot hold."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "tests" / "golden" / "schema_steps.sha256"
STEP_FILES = "manyi/store/*/schema/*.sql"
LINE = re.compile(r"([0-9a-f]{64})  (manyi/store/[a-z_]+/schema/\d{3}\.sql)")


def released() -> dict[str, str]:
    """Step file (relative to the checkout) → its SHA-256 when released."""
    recorded: dict[str, str] = {}
    for number, line in enumerate(MANIFEST.read_text(encoding="utf-8").splitlines(), 1):
        match = LINE.fullmatch(line)
        assert match, f"{MANIFEST.name} line {number} is not '<sha256>  <step file>': {line!r}"
        assert match[2] not in recorded, f"{MANIFEST.name} names {match[2]} twice"
        recorded[match[2]] = match[1]
    return recorded


def digest(path: str) -> str:
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def step_files() -> list[str]:
    return sorted(path.relative_to(ROOT).as_posix() for path in ROOT.glob(STEP_FILES))


def test_the_manifest_records_the_released_steps() -> None:
    # Guards the test itself: an empty manifest or a glob finding nothing would pass all.
    recorded = released()
    assert "manyi/store/submissions/schema/001.sql" in recorded
    assert "manyi/store/results/schema/003.sql" in recorded
    assert step_files(), f"no step files match {STEP_FILES}"


def test_no_released_step_changed_or_disappeared() -> None:
    problems = [
        f"{path} is gone" if not (ROOT / path).is_file() else f"{path} changed"
        for path, recorded in released().items()
        if not (ROOT / path).is_file() or digest(path) != recorded
    ]
    assert not problems, (
        f"released schema steps must never change: {'; '.join(problems)}. A data folder "
        "already at that version would never run the edit. Restore the file as released "
        "(`git log -p -- <file>`) and add a new step instead: the store's next NNN.sql, "
        "with its line in tests/golden/schema_steps.sha256."
    )


def test_every_step_file_is_in_the_manifest() -> None:
    recorded = released()
    new = [path for path in step_files() if path not in recorded]
    lines = "\n".join(f"{digest(path)}  {path}" for path in new)
    assert not new, (
        f"new schema step file(s) not yet in {MANIFEST.relative_to(ROOT)}: add these lines "
        f"(kept in path order), which pins the step from its release on:\n{lines}"
    )
