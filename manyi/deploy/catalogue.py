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
from typing import Any

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


def restore_versions(s3: Any, bucket: str, dist: Path) -> list[str]:
    """Fetch from the site bucket each version file dist/ lacks (a fresh checkout); their names.

    The bucket keeps every version `manyi publish` ever uploaded, so the grace period survives
    a new machine. A version file dist/ already has wins (it is newer than the last publish);
    the two histories are merged, each version at the earliest date either one gives.
    """
    folder = dist / DIST_FOLDER
    prefix = DIST_FOLDER.as_posix() + "/"
    restored = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            name = item["Key"].removeprefix(prefix)
            if "/" in name or not name.endswith(".json"):
                continue
            if (folder / name).exists() and name != HISTORY_FILE:
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            folder.mkdir(parents=True, exist_ok=True)
            if name == HISTORY_FILE and (folder / name).exists():
                if not _merge_history(folder / name, json.loads(body)):
                    continue
            else:
                (folder / name).write_bytes(body)
            restored.append(name)
    return restored


def _merge_history(path: Path, published: dict[str, Any]) -> bool:
    """Merge the bucket's history into the local one; True if the local one changed."""
    local = json.loads(path.read_text(encoding="utf-8"))
    earliest: dict[str, str] = {}
    for entry in [*published["versions"], *local["versions"]]:
        known = earliest.get(entry["version"])
        if known is None or entry["published"] < known:
            earliest[entry["version"]] = entry["published"]
    # Sorted by date; on one day, the local order (the newest last) decides.
    order = {entry["version"]: i for i, entry in enumerate(local["versions"])}
    merged = sorted(earliest.items(), key=lambda item: (item[1], order.get(item[0], -1)))
    result = {"versions": [{"version": v, "published": d} for v, d in merged]}
    if result == local:
        return False
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return True
