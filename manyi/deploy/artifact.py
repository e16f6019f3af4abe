"""The Lambda artifact: our code, the questionnaire versions and pinned wheels, zipped reproducibly.

One zip serves both functions (the template's `Globals.Function.CodeUri`). Inside it:

    lambda/<name>/app.py              the handlers (`lambda/<name>/app.lambda_handler`)
    manyi/, site_builder/, templates/ our packages and the page templates
    lambda/collector/questionnaires/  every version in dist/api/questionnaire/ + versions.json
    jinja2/, markupsafe/, ...         infra/lambda-requirements.txt, wheels for the target

The target is the functions' Python and architecture (the template's FunctionRuntime and
FunctionArchitecture, by default its region's RegionDefaults): python3.13 on arm64 unless said
otherwise, python3.12 on x86_64 for Ningxia. The lock file pins every wheel of every target by
hash.

Bytecode. /var/task is read-only, so without .pyc files every cold start compiles each module
it imports, ours and the dependencies'. When the target's Python is on the build machine, the
artifact ships bytecode compiled by it: hash-based and unchecked (no timestamps; the sources
beside it never change), with /var/task as the path compiled in, so it is the same bytes on
every build. Without that interpreter the artifact has sources only, and says so.

Reproducible: the wheels are pinned by hash, entries are sorted, every entry has the same
timestamp and mode, and bytecode depends only on the sources and the interpreter's version,
so the same commit, dist/, target and interpreter give the same bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from manyi.deploy.catalogue import CatalogueError, ship_versions, shipped_versions
from manyi.errors import ManyiError
from manyi.versions import BUNDLED_FOLDER

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "infra" / "lambda-requirements.txt"
# The wheel platform of each Lambda architecture.
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
PYTHONS = ("3.13", "3.12")
# What we ship of our own tree; a folder that does not exist (yet) is left out.
SOURCES = ("lambda", "manyi", "site_builder", "templates")
# The earliest moment a zip can record: the same for every entry of every build.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
# Lambda's limit on the unzipped size of a function (zip uploaded through S3).
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
# Where Lambda unzips the artifact: the path compiled into the bytecode (and its tracebacks).
TASK_ROOT = "/var/task"
SKIPPED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".tmp")


class ArtifactError(ManyiError):
    """The artifact cannot be built as asked; the message says what to do."""


class LambdaTarget(NamedTuple):
    """The Python and the architecture the functions run on."""

    python: str = "3.13"
    architecture: str = "arm64"

    @classmethod
    def of_runtime(cls, runtime: str, architecture: str) -> LambdaTarget:
        """From the template's names: `python3.12`, `x86_64`."""
        python = runtime.removeprefix("python")
        if python not in PYTHONS or architecture not in PLATFORMS:
            raise ArtifactError(
                f"no artifact for {runtime} on {architecture}: manyi packages "
                f"{', '.join('python' + p for p in PYTHONS)} on {' or '.join(PLATFORMS)}"
            )
        return cls(python, architecture)

    @property
    def platform(self) -> str:
        return PLATFORMS[self.architecture]

    def __str__(self) -> str:
        return f"python{self.python} on {self.architecture}"


DEFAULT_TARGET = LambdaTarget()


@dataclass(frozen=True, slots=True)
class Artifact:
    path: Path
    size: int  # bytes of the zip
    unzipped_size: int
    files: int
    sha256: str
    versions: tuple[str, ...]  # questionnaire versions bundled
    target: LambdaTarget = DEFAULT_TARGET
    bytecode: bool = False

    def summary(self) -> str:
        compiled = "with bytecode" if self.bytecode else "sources only"
        return (
            f"{self.path} ({self.target}, {compiled}): {self.size / 1e6:.1f} MB zipped, "
            f"{self.unzipped_size / 1e6:.1f} MB "
            f"unzipped, {self.files} files, questionnaire version(s) "
            f"{', '.join(self.versions)}; sha256 {self.sha256}"
        )


def build_artifact(
    out: Path,
    *,
    dist: Path,
    current_version: str,
    today: date,
    dependencies: Path,
    target: LambdaTarget = DEFAULT_TARGET,
    bytecode: bool = True,
    root: Path = ROOT,
    requirements: Path = REQUIREMENTS,
) -> Artifact:
    """Install the target's pinned wheels into `dependencies` (once), then write the zip.

    `current_version` is the version of questionnaire.yaml: the one the built pages carry.
    `bytecode`: ship .pyc files, if the target's Python is on this machine.
    """
    try:
        versions = ship_versions(dist, current_version, today)
    except CatalogueError as error:
        raise ArtifactError(str(error)) from None
    install_dependencies(requirements, dependencies, target)
    entries: dict[str, Path] = {}
    # pip --target puts console scripts in bin/; they are no use inside a function.
    entries.update(
        item for item in _tree(dependencies, prefix="") if not item[0].startswith("bin/")
    )
    for source in SOURCES:
        if (root / source).is_dir():
            entries.update(_tree(root / source, prefix=f"{source}/"))
    # Only the versions of this build: nothing a local run may have left beside the handler.
    entries = {k: v for k, v in entries.items() if not k.startswith(f"{BUNDLED_FOLDER}/")}
    files: dict[str, Path | bytes] = {**entries, **versions}
    python = find_python(target.python) if bytecode else None
    if python is not None:
        files.update(compile_bytecode(entries, python))
    unzipped = sum(len(v) if isinstance(v, bytes) else v.stat().st_size for v in files.values())
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ArtifactError(
            f"the artifact would unzip to {unzipped / 1e6:.0f} MB, over Lambda's 250 MB limit"
        )
    write_zip(files, out)
    content = out.read_bytes()
    return Artifact(
        path=out,
        size=len(content),
        unzipped_size=unzipped,
        files=len(files),
        sha256=hashlib.sha256(content).hexdigest(),
        versions=shipped_versions(versions),
        target=target,
        bytecode=python is not None,
    )


def find_python(version: str) -> str | None:
    """An interpreter of this Python version (e.g. 3.13) on this machine, if there is one."""
    found = shutil.which(f"python{version}")
    candidates = [found] if found else []
    home = Path.home() / ".pyenv" / "versions"
    candidates += sorted(str(p) for p in home.glob(f"{version}*/bin/python{version}"))
    for candidate in candidates:
        probe = subprocess.run(  # noqa: S603 - our own interpreter path
            [candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def compile_bytecode(entries: Mapping[str, Path], python: str) -> dict[str, bytes]:
    """Artifact path → .pyc bytes for every module in `entries`, compiled by `python` as if
    it lay in /var/task, hash-based and unchecked (no timestamp in it)."""
    with tempfile.TemporaryDirectory() as folder:
        staging = Path(folder)
        for name, source in entries.items():
            if name.endswith(".py"):
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, staging / name)
        command = [python, "-I", "-m", "compileall", "-q", "-j", "0", "-s", str(staging)]
        command += ["-p", TASK_ROOT, "--invalidation-mode", "unchecked-hash", str(staging)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise ArtifactError(f"{python} could not compile the artifact:\n{result.stdout}")
        return {
            path.relative_to(staging).as_posix(): path.read_bytes()
            for path in sorted(staging.rglob("*.pyc"))
        }


def dependencies_folder(
    cache: Path, requirements: Path = REQUIREMENTS, target: LambdaTarget = DEFAULT_TARGET
) -> Path:
    """Where the wheels of one lock file and target are installed: each gets its own folder."""
    key = hashlib.sha256(
        requirements.read_bytes() + f"{target.python} {target.platform}".encode()
    ).hexdigest()[:16]
    return cache / f"lambda-deps-{key}"


def install_dependencies(
    requirements: Path, folder: Path, target: LambdaTarget = DEFAULT_TARGET
) -> None:
    """pip-install the locked wheels for the target into `folder`, unless done before."""
    done = folder / ".complete"
    if done.exists():
        return
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted install: start again
    staging = folder.with_name(folder.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        "--no-compile",
        "--require-hashes",
        "--only-binary=:all:",
        f"--platform={target.platform}",
        "--implementation=cp",
        f"--python-version={target.python}",
        f"--target={staging}",
        "--requirement",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ArtifactError(f"pip could not install {requirements} for {target}:\n{result.stderr}")
    (staging / ".complete").write_text("", encoding="utf-8")
    staging.rename(folder)


def write_zip(entries: Mapping[str, Path | bytes], out: Path) -> None:
    """Write entries sorted by name, each with the same timestamp and mode, then swap it in."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name in sorted(entries):
            source = entries[name]
            data = source if isinstance(source, bytes) else source.read_bytes()
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.external_attr = FILE_MODE << 16
            info.create_system = 3  # Unix, whatever the build machine: the mode bits count
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    partial.replace(out)


def _tree(folder: Path, *, prefix: str) -> Iterable[tuple[str, Path]]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or _skipped(relative):
            continue
        yield prefix + relative.as_posix(), path


def _skipped(relative: Path) -> bool:
    if relative.name == ".complete" or relative.name.endswith(SKIPPED_SUFFIXES):
        return True
    return any(part in SKIPPED_PARTS for part in relative.parts)
