"""Put a built site in place safely: all or nothing, and only what changed is written.

The new tree is assembled in a temporary folder beside the output: files whose bytes did not
change are hard-linked from the old tree (same inode, same modification time, so a sync to
S3 or a CDN sees nothing new), changed ones are written. Then two renames swap it in. If
anything fails before the swap, the old site is untouched. If nothing changed, nothing at all
is written.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from manyi.errors import ManyiError

# Marks a folder as a manyi site, so a build never wipes a folder it did not make.
MARKER = ".manyi-site"
MARKER_TEXT = b"This folder is written by `manyi build`; files here are replaced on each build.\n"


class UnsafeOutput(ManyiError):
    """The output folder holds something that is not a manyi site."""


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def write_site(
    files: Mapping[str, bytes],
    out: Path,
    *,
    keep: Callable[[str], bool] = lambda path: False,
) -> WriteReport:
    """Make `out` hold exactly `files` (relative POSIX paths), plus old files that `keep` keeps."""
    files = {**files, MARKER: MARKER_TEXT}
    old = _existing(out)
    changed = [path for path, content in files.items() if not _same(out / path, content)]
    carried = [path for path in old if path not in files and keep(path)]
    stale = [path for path in old if path not in files and not keep(path)]
    site_files = len(files) - 1  # the marker is bookkeeping, not part of the site
    if not changed and not stale:
        return WriteReport(written=0, unchanged=site_files, removed=0)

    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        changed_set = set(changed)
        for path, content in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if path in changed_set:
                target.write_bytes(content)
            else:
                _link_or_copy(out / path, target)
        for path in carried:
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(out / path, target)
        if out.exists():
            out.rename(retired)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if retired.exists() and not out.exists():
            retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    written = sum(1 for path in changed if path != MARKER)
    return WriteReport(written=written, unchanged=site_files - written, removed=len(stale))


def _existing(out: Path) -> list[str]:
    if not out.exists():
        return []
    if not out.is_dir():
        raise UnsafeOutput(f"{out} is not a folder")
    entries = list(out.iterdir())
    if entries and not (out / MARKER).is_file():
        raise UnsafeOutput(
            f"{out} is not empty and was not made by `manyi build` (no {MARKER} in it); "
            "choose another --out or empty it first"
        )
    return [path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()]


def _same(path: Path, content: bytes) -> bool:
    try:
        if path.stat().st_size != len(content):
            return False
        return path.read_bytes() == content
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
