"""The build: every file of the site, rendered in memory, then written by `writer` in one swap.

`site_files` is pure (questionnaire and URLs in, paths and bytes out); `build_site` adds the
file system. What ends up in dist/:

    index.html                          the directory of departments
    print/index.html                    every department's QR code on one sheet, for the office
    assets/site.<hash>.css|js, print.<hash>.css
    api/questionnaire/<version>.json    the normalized questionnaire, for the collector
    d/<id>/index.html                   the form, first channel (the leaflet's QR code): permanent
    d/<id>/<channel>/index.html         the form for each other self-completed channel
    d/<id>/thanks/index.html            after a successful submission (first channel)
    d/<id>/<channel>/thanks/index.html  the same for each other channel
    d/<id>/print/index.html, a5.html    the leaflet on A4 and A5
    d/<id>/qr.svg, qr.png               the QR code of https://<base>/d/<id>/
    complaints/index.html               投诉举报 for the whole city (the department is chosen)
    complaints/d/<id>/index.html        投诉举报 about one department
    complaints/status/index.html        a complaint's progress, by number and receipt code
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from manyi.model import Questionnaire
from site_builder import paths
from site_builder.assets import load_assets
from site_builder.complaints import complaint_pages
from site_builder.qr import reuse_or_make_qr
from site_builder.render import (
    render_department_forms,
    render_directory,
    render_leaflet,
    render_sheet,
    render_thanks_page,
)
from site_builder.writer import WriteReport, write_site

QUESTIONNAIRE_FOLDER = "api/questionnaire/"
PAPERS = ("a4", "a5")

# Called after each department with (done, total).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BuildReport:
    files: int
    pages: int
    departments: int
    version: str
    written: WriteReport


def site_files(
    questionnaire: Questionnaire,
    *,
    base_url: str,
    api_url: str = "/api",
    progress: Progress | None = None,
    previous: Path | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Every file of the site as (path inside dist/, content).

    `previous` is an earlier build whose QR codes may be reused (they are slow to make).
    """
    paths.check_channels(questionnaire)
    base = paths.normalized_base_url(base_url)
    api = paths.normalized_api_url(api_url)
    for asset in load_assets().all():
        yield asset.path, asset.content
    yield "index.html", _utf8(render_directory(questionnaire, api_url=api))
    yield "print/index.html", _utf8(render_sheet(questionnaire, base_url=base))
    yield (
        f"{QUESTIONNAIRE_FOLDER}{questionnaire.version}.json",
        _utf8(json.dumps(questionnaire.to_dict(), ensure_ascii=False, indent=1) + "\n"),
    )
    for path, html in complaint_pages(questionnaire, api_url=api):
        yield paths.file_of(path), _utf8(html)
    total = len(questionnaire.departments)
    for done, department in enumerate(questionnaire.departments, start=1):
        for path, html in render_department_forms(questionnaire, department, api_url=api).items():
            yield paths.file_of(path), _utf8(html)
        for channel in paths.public_channels(questionnaire):
            yield (
                paths.file_of(paths.thanks_path(questionnaire, department, channel)),
                _utf8(render_thanks_page(questionnaire, department, channel, api_url=api)),
            )
        for paper in PAPERS:
            yield (
                paths.file_of(paths.leaflet_path(department, paper)),
                _utf8(render_leaflet(questionnaire, department, paper=paper, base_url=base)),
            )
        folder = paths.file_of(paths.department_path(department)).removesuffix("index.html")
        qr = reuse_or_make_qr(
            previous / folder if previous is not None else None,
            base + paths.department_path(department),
            f"{department.name}问卷二维码",
        )
        yield folder + "qr.svg", qr.svg
        yield folder + "qr.png", qr.png
        if progress is not None:
            progress(done, total)


def build_site(
    questionnaire: Questionnaire,
    out: Path,
    *,
    base_url: str,
    api_url: str = "/api",
    progress: Progress | None = None,
) -> BuildReport:
    """Render everything first (a failure leaves `out` untouched), then swap it in."""
    files = dict(
        site_files(
            questionnaire, base_url=base_url, api_url=api_url, progress=progress, previous=out
        )
    )
    # Old questionnaire versions stay: a collector may still be asked about them.
    written = write_site(files, out, keep=lambda path: path.startswith(QUESTIONNAIRE_FOLDER))
    return BuildReport(
        files=len(files),
        pages=sum(1 for path in files if path.endswith(".html")),
        departments=len(questionnaire.departments),
        version=questionnaire.version,
        written=written,
    )


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")
