"""Which questionnaire versions a collector accepts, and since when: the version catalogue.

A catalogue is a folder of `<version>.json` files (`Questionnaire.to_dict()`, as `manyi build`
writes them under `dist/api/questionnaire/`) and a history, `versions.json`, that lists each
publication of a version with the office's date it was published, oldest first; the last one is
current. The history is append-only: it gains versions, it is never reordered or re-dated.

The policy. A page carries the version it was built from and answers are always checked
against that version. Printed QR codes lead to `/d/<department>/`, which always serves the
current page, so only pages already open or cached in a phone can carry an old version. Such a
version stays accepted for `GRACE_DAYS` after the day it was superseded; after that a
submission gets 409 `stale_version`, and the page offers the new questionnaire. Removing a
version's JSON retires it at once (e.g. a wording found to mislead). A folder without a history
accepts every version it holds.

A catalogue may follow a built site's folder (`manyi serve`): what a build adds there while the
collector runs is gained the first time a page or a health check asks for it, no restart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from manyi.errors import ManyiError
from manyi.model import Questionnaire

# Long enough for a page left open in a phone for a month, short enough that a superseded
# wording stops being counted by the next monthly report but one.
GRACE_DAYS = 31
HISTORY_FILE = "versions.json"
VERSION_PATTERN_TEXT = r"^[0-9a-f]{12}$"
# Where a built site keeps every version (dist/api/questionnaire/), and where the Lambda
# artifact bundles them: beside the collector's handler, read by both functions.
SITE_FOLDER = "api/questionnaire"
BUNDLED_FOLDER = "lambda/collector/questionnaires"


class NoQuestionnaire(ManyiError):
    """The catalogue holds no questionnaire at all: the collector cannot accept anything."""


class VersionsError(ManyiError):
    """A catalogue's file cannot be read; the message names the file and what is wrong."""


class Published(NamedTuple):
    version: str
    published: date
    superseded: date | None


def bundled_folder() -> Path:
    """The versions a Lambda function ships with ($MANYI_QUESTIONNAIRES names another)."""
    given = os.environ.get("MANYI_QUESTIONNAIRES")
    # This file is manyi/versions.py at the root of the artifact, beside lambda/.
    return Path(given) if given else Path(__file__).resolve().parents[1] / BUNDLED_FOLDER


@dataclass(eq=False)
class Catalogue:
    """The accepted versions of one folder; each JSON is read the first time it is needed."""

    folder: Path
    history: tuple[Published, ...]
    grace_days: int = GRACE_DAYS
    site: Path | None = None
    _loaded: dict[str, Questionnaire] = field(default_factory=dict, init=False, repr=False)
    # The site's version files as last seen (modification time, size, inode), and the
    # versions found there that are older than this catalogue's history: never gained.
    _seen: dict[str, tuple[int, int, int]] = field(default_factory=dict, init=False, repr=False)
    _passed_over: set[str] = field(default_factory=set, init=False, repr=False)

    @classmethod
    def open(
        cls, folder: Path | str, grace_days: int | None = None, site: Path | None = None
    ) -> Catalogue:
        folder = Path(folder)
        if grace_days is None:
            grace_days = int(os.environ.get("MANYI_VERSION_GRACE_DAYS", GRACE_DAYS))
        return cls(folder, read_history(folder), grace_days, site)

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
        files = version_files(self.folder) if self.folder.parts else {}
        for version in sorted(files, key=lambda v: files[v].stat().st_mtime, reverse=True):
            found = self._load(version)
            if found is not None:
                return found
        raise NoQuestionnaire(f"no questionnaire JSON in {self.folder}")

    def versions(self, today: date) -> list[str]:
        """Every version a page may submit to today."""
        if self.history:
            known = list(dict.fromkeys(p.version for p in self.history))
        else:
            on_disk = version_files(self.folder) if self.folder.parts else {}
            known = sorted({*self._loaded, *on_disk})
        return [v for v in known if self.accepted(v, today) is not None]

    def accepted(self, version: str, today: date) -> Questionnaire | None:
        """The questionnaire of `version` if a page may still submit to it today."""
        if self.site is not None and looks_like_version(version) and not self.knows(version):
            self.follow_site(today)  # a page built since the last look
        # A version published again (a wording restored) counts from its last publication.
        entry = next((p for p in reversed(self.history) if p.version == version), None)
        if entry is not None and entry.superseded is not None:
            if today > entry.superseded + timedelta(days=self.grace_days):
                return None
        elif entry is None and self.history:
            return None
        return self._load(version)

    def knows(self, version: str) -> bool:
        return any(p.version == version for p in self.history)

    def follow_site(self, today: date) -> list[str]:
        """Take in what the site's folder gained or changed since the last look; the versions
        taken in. A version new to the history is appended to it (so the newest build becomes
        current), dated today; with no history yet, the site's own (`manyi package` writes
        one) gives the order and the dates. A changed JSON of a known version (a department
        added) replaces this folder's copy. The history is never reordered or re-dated."""
        if self.site is None:
            return []
        files = version_files(self.site)
        signatures = {v: _signature(p) for v, p in files.items()}
        changed = [v for v in files if self._seen.get(v) != signatures[v]]
        if not changed:
            return []
        site_history = read_history(self.site)
        listed = list(dict.fromkeys(p.version for p in site_history))
        known = {p.version for p in self.history}
        if known:
            # What the site's history lists before a version this catalogue knows is older
            # than what it already accepts: gaining it would make an old wording current.
            last_known = max((i for i, v in enumerate(listed) if v in known), default=-1)
            self._passed_over |= {v for v in listed[:last_known] if v not in known}
        dates = {} if self.history else {p.version: p.published for p in site_history}
        new = [v for v in changed if v not in known and v not in self._passed_over]
        new.sort(key=lambda v: (listed.index(v) if v in listed else len(listed), signatures[v]))
        entries = history_entries(self.history)
        self.folder.mkdir(parents=True, exist_ok=True)
        for version in changed:
            questionnaire = read_questionnaire(files[version])
            if version in known or version in new:
                _write(self.folder / f"{version}.json", questionnaire.to_dict())
                self._loaded[version] = questionnaire
        entries += [{"version": v, "published": dates.get(v, today).isoformat()} for v in new]
        if new:
            _write(self.folder / HISTORY_FILE, {"versions": entries})
            self.history = read_history(self.folder)
        self._seen.update({v: signatures[v] for v in changed})
        # Known versions first, then the new ones in the order they were appended.
        return [v for v in changed if v in known] + new

    def _load(self, version: str) -> Questionnaire | None:
        if version in self._loaded:
            return self._loaded[version]
        if not looks_like_version(version) or not self.folder.parts:
            return None
        path = self.folder / f"{version}.json"
        if not path.is_file():
            return None
        questionnaire = read_questionnaire(path)
        self._loaded[version] = questionnaire
        return questionnaire


def version_files(folder: Path) -> dict[str, Path]:
    """Version → JSON file of a folder (the history, `versions.json`, is not one)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.json")) if looks_like_version(p.stem)}


def read_questionnaire(path: Path) -> Questionnaire:
    data = _read_json(path)
    try:
        questionnaire = Questionnaire.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise VersionsError(
            f"{path}: not a questionnaire written by manyi build ({error!r})"
        ) from None
    if questionnaire.version != path.stem:
        raise VersionsError(f"{path}: holds version {questionnaire.version!r}, not {path.stem}")
    return questionnaire


def read_history(folder: Path) -> tuple[Published, ...]:
    path = folder / HISTORY_FILE
    if not path.exists():
        return ()
    return parse_history(_read_json(path), str(path))


def parse_history(data: Any, where: str) -> tuple[Published, ...]:
    """The history in `versions.json`'s data; VersionsError names `where` and what is wrong."""
    entries = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise VersionsError(f'{where}: expected {{"versions": [...]}}, the list of publications')
    versions, dates = [], []
    for number, entry in enumerate(entries, start=1):
        version = entry.get("version") if isinstance(entry, dict) else None
        published = entry.get("published") if isinstance(entry, dict) else None
        if not isinstance(version, str) or not looks_like_version(version):
            raise VersionsError(f"{where}: entry {number}: no version (12 hex digits) in {entry!r}")
        try:
            dates.append(date.fromisoformat(str(published)))
        except ValueError:
            raise VersionsError(
                f"{where}: entry {number}: published {published!r} is not a date (YYYY-MM-DD)"
            ) from None
        versions.append(version)
    return tuple(
        Published(v, dates[i], dates[i + 1] if i + 1 < len(dates) else None)
        for i, v in enumerate(versions)
    )


def history_entries(history: Iterable[Published]) -> list[dict[str, str]]:
    """The history as `versions.json` writes it."""
    return [{"version": p.version, "published": p.published.isoformat()} for p in history]


def publish(folder: Path | str, questionnaire: Questionnaire, today: date) -> bool:
    """Make a version current: its JSON is (re)written (e.g. a department was added) and the
    history gains it unless it is current already. A version superseded before is published
    again (its earlier entries stay). True if the history changed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / f"{questionnaire.version}.json", questionnaire.to_dict())
    history = read_history(folder)
    if history and history[-1].version == questionnaire.version:
        return False
    entries = history_entries(history)
    entries.append({"version": questionnaire.version, "published": today.isoformat()})
    _write(folder / HISTORY_FILE, {"versions": entries})
    return True


def looks_like_version(version: str) -> bool:
    return len(version) == 12 and all(c in "0123456789abcdef" for c in version)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise VersionsError(f"{path}: not UTF-8 text ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise VersionsError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})"
        ) from None
    except (ValueError, RecursionError) as error:
        raise VersionsError(f"{path}: not valid JSON ({error})") from None


def _signature(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def _write(path: Path, data: Any) -> None:
    # Write then rename, so a running collector never reads half a file.
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    temporary.replace(path)
