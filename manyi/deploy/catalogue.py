"""The questionnaire versions the collector ships with: dist's JSON files and their history.

The collector (manyi.collector.versions) accepts a version if its JSON is in its folder and the
history, `versions.json`, says it is current or was superseded less than the grace period ago.
`manyi build` keeps every version's JSON in dist/api/questionnaire/; packaging adds the version
being shipped to the history there (dated the Beijing day it is first packaged), so the record
stays with the site: `manyi publish` uploads it, and the site bucket keeps every version.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from manyi.collector.versions import HISTORY_FILE, publish, read_history
from manyi.model import Questionnaire

DIST_FOLDER = Path("api") / "questionnaire"
# Beside the handler: `lambda/collector/app.py` opens the folder `questionnaires` next to it.
ARTIFACT_FOLDER = "lambda/collector/questionnaires"


class CatalogueError(Exception):
    """The versions to ship cannot be put together; the message says what to run."""


def ship_versions(dist: Path, current: str, today: date) -> dict[str, Path]:
    """Artifact path → file for every version in dist, with `current` last in the history."""
    folder = dist / DIST_FOLDER
    current_file = folder / f"{current}.json"
    if not current_file.is_file():
        raise CatalogueError(
            f"{current_file} is missing: run `manyi build` so the pages and the collector carry "
            f"the questionnaire's current version {current}"
        )
    history = read_history(folder)
    if not history or history[-1].version != current:
        data = json.loads(current_file.read_text(encoding="utf-8"))
        publish(folder, Questionnaire.from_dict(data), today)
    return {f"{ARTIFACT_FOLDER}/{path.name}": path for path in sorted(folder.glob("*.json"))}


def shipped_versions(files: dict[str, Path]) -> tuple[str, ...]:
    return tuple(sorted(Path(name).stem for name in files if Path(name).name != HISTORY_FILE))
