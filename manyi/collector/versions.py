"""Which questionnaire versions the collector accepts, loaded from normalized JSON, never YAML.

A catalogue is a folder of `<version>.json` files (`Questionnaire.to_dict()`, as `manyi build`
writes them under `dist/api/questionnaire/`) and a history, `versions.json`, that lists each
version with the office's date it was published, oldest first; the last one is current.

The policy. A page carries the version it was built from and answers are always checked
against that version. Printed QR codes lead to `/d/<department>/`, which always serves the
current page, so only pages already open or cached in a phone can carry an old version. Such a
version stays accepted for `GRACE_DAYS` after the day it was superseded; after that a
submission gets 409 `stale_version`, and the page offers the new questionnaire. Removing a
version's JSON retires it at once (e.g. a wording found to mislead). A folder without a history
accepts every version it holds.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from manyi.model import Questionnaire

# Long enough for a page left open in a phone for a month, short enough that a superseded
# wording stops being counted by the next monthly report but one.
GRACE_DAYS = 31
HISTORY_FILE = "versions.json"
VERSION_PATTERN_TEXT = r"^[0-9a-f]{12}$"


class NoQuestionnaire(Exception):
    """The catalogue holds no questionnaire at all: the collector cannot accept anything."""


class Published(NamedTuple):
    version: str
    published: date
    superseded: date | None


class Catalogue:
    """The accepted versions of one folder; each JSON is read the first time it is needed."""

    def __init__(
        self, folder: Path, history: tuple[Published, ...], grace_days: int = GRACE_DAYS
    ) -> None:
        self.folder = folder
        self.history = history
        self.grace_days = grace_days
        self._loaded: dict[str, Questionnaire] = {}

    @classmethod
    def open(cls, folder: Path | str, grace_days: int | None = None) -> Catalogue:
        folder = Path(folder)
        if grace_days is None:
            grace_days = int(os.environ.get("MANYI_VERSION_GRACE_DAYS", GRACE_DAYS))
        return cls(folder, read_history(folder), grace_days)

    @classmethod
    def of(cls, *questionnaires: Questionnaire) -> Catalogue:
        """A catalogue held in memory (tests, benchmarks): every version given is accepted."""
        catalogue = cls(Path(), ())
        catalogue._loaded.update({q.version: q for q in questionnaires})
        return catalogue

    @property
    def current(self) -> Questionnaire:
        if self.history:
            found = self._load(self.history[-1].version)
            if found is not None:
                return found
        if self._loaded:
            return next(reversed(self._loaded.values()))
        versions = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for path in reversed(versions):
            found = self._load(path.stem)
            if found is not None:
                return found
        raise NoQuestionnaire(f"no questionnaire JSON in {self.folder}")

    def versions(self, today: date) -> list[str]:
        """Every version a page may submit to today."""
        if self.history:
            known = [p.version for p in self.history]
        else:
            on_disk = [p.stem for p in self.folder.glob("*.json")] if self.folder.parts else []
            known = sorted({*self._loaded, *on_disk})
        return [v for v in known if self.accepted(v, today) is not None]

    def accepted(self, version: str, today: date) -> Questionnaire | None:
        """The questionnaire of `version` if a page may still submit to it today."""
        entry = next((p for p in self.history if p.version == version), None)
        if entry is not None and entry.superseded is not None:
            if today > entry.superseded + timedelta(days=self.grace_days):
                return None
        elif entry is None and self.history:
            return None
        return self._load(version)

    def _load(self, version: str) -> Questionnaire | None:
        if version in self._loaded:
            return self._loaded[version]
        if not looks_like_version(version) or not self.folder.parts:
            return None
        path = self.folder / f"{version}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        questionnaire = Questionnaire.from_dict(data)
        self._loaded[version] = questionnaire
        return questionnaire


def read_history(folder: Path) -> tuple[Published, ...]:
    path = folder / HISTORY_FILE
    if not path.exists():
        return ()
    entries = json.loads(path.read_text(encoding="utf-8"))["versions"]
    dates = [date.fromisoformat(e["published"]) for e in entries]
    return tuple(
        Published(e["version"], dates[i], dates[i + 1] if i + 1 < len(dates) else None)
        for i, e in enumerate(entries)
    )


def publish(folder: Path | str, questionnaire: Questionnaire, today: date) -> bool:
    """Add a version to a catalogue (its JSON, and to the history if it is new); it becomes
    current. Writing it again refreshes its JSON (e.g. a department was added). True if new."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / f"{questionnaire.version}.json", questionnaire.to_dict())
    history = read_history(folder)
    if history and history[-1].version == questionnaire.version:
        return False
    entries: list[dict[str, Any]] = [
        {"version": p.version, "published": p.published.isoformat()}
        for p in history
        if p.version != questionnaire.version
    ]
    entries.append({"version": questionnaire.version, "published": today.isoformat()})
    _write(folder / HISTORY_FILE, {"versions": entries})
    return True


def _write(path: Path, data: Any) -> None:
    # Write then rename, so a running collector never reads half a file.
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    temporary.replace(path)


def looks_like_version(version: str) -> bool:
    return len(version) == 12 and all(c in "0123456789abcdef" for c in version)
