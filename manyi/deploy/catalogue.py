"""The questionnaire versions the collector ships with: dist's JSON files and their history.

The collector (manyi.versions) accepts a version if its JSON is in its folder and the
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

from manyi.errors import ManyiError
from manyi.versions import (
    BUNDLED_FOLDER,
    HISTORY_FILE,
    SITE_FOLDER,
    VersionsError,
    history_entries,
    parse_history,
    publish,
    read_history,
    read_questionnaire,
)

DIST_FOLDER = Path(SITE_FOLDER)


class CatalogueError(ManyiError):
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
    try:
        history = read_history(folder)
        if not history or history[-1].version != current:
            publish(folder, read_questionnaire(current_file), today)
    except VersionsError as error:
        raise CatalogueError(str(error)) from None
    return {f"{BUNDLED_FOLDER}/{path.name}": path for path in sorted(folder.glob("*.json"))}


def shipped_versions(files: dict[str, Path]) -> tuple[str, ...]:
    return tuple(sorted(Path(name).stem for name in files if Path(name).name != HISTORY_FILE))


def restore_versions(s3: Any, bucket: str, dist: Path) -> list[str]:
    """Fetch from the site bucket each version file dist/ lacks (a fresh checkout); their names.

    The bucket keeps every version `manyi publish` ever uploaded, so the grace period survives
    a new machine. A version file dist/ already has wins (it is newer than the last publish).
    The bucket's history is the record of what the deployed collector accepted and since when:
    it is kept as it is, never reordered or re-dated, and gains only the versions that the
    local history adds (packaged here, not deployed yet), in their order, with their dates.
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
            if name == HISTORY_FILE:
                body = _merged_history(body, f"s3://{bucket}/{item['Key']}", folder)
                if body is None:
                    continue
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(body)
            restored.append(name)
    return restored


def _merged_history(published: bytes, where: str, folder: Path) -> bytes | None:
    """The bucket's history followed by what only the local one has; None if the local one
    says the same already."""
    try:
        bucket = parse_history(json.loads(published), where)
        local = history_entries(read_history(folder))
    except (ValueError, VersionsError) as error:  # JSONDecodeError is a ValueError
        raise CatalogueError(f"cannot restore the version history: {error}") from None
    merged = history_entries(bucket)
    known = {entry["version"] for entry in merged}
    merged += [entry for entry in local if entry["version"] not in known]
    if merged == local:
        return None
    text = json.dumps({"versions": merged}, ensure_ascii=False, indent=1) + "\n"
    return text.encode("utf-8")
