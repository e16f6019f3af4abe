"""`manyi build`: every page is there, QR codes decode, rebuilds are incremental and safe."""

from __future__ import annotations

import base64
import hashlib
import html as htmllib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from manyi.model import Questionnaire
from site_builder import build as build_module
from site_builder.build import build_site
from site_builder.paths import SiteError, public_channels
from site_builder.policy import security_headers
from site_builder.writer import MARKER, UnsafeOutput
from tests.conftest import ROOT
from tests.site_fixture import BASE_URL, MINI_YAML, mini_questionnaire, write_mini


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file with (inode, mtime in ns): what a rebuild must leave alone."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def manyi(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manyi", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "dist"
    result = manyi("build", "--out", str(out), "--base-url", BASE_URL)
    assert result.returncode == 0, result.stderr
    assert "0 removed" in result.stdout
    return out


def test_every_department_gets_its_pages_and_qr_codes(
    real_site: Path, questionnaire: Questionnaire
) -> None:
    for department in questionnaire.departments:
        folder = real_site / "d" / department.id
        page = (folder / "index.html").read_text(encoding="utf-8")
        assert department.name in page
        assert f'name="channel" value="{questionnaire.channels[0].id}"' in page
        for channel in questionnaire.channels[1:]:
            other = folder / channel.id / "index.html"
            if channel.entry == "staff":  # keyed in the workspace: no public page to tap
                assert not other.exists(), channel.id
                continue
            assert f'name="channel" value="{channel.id}"' in other.read_text(encoding="utf-8")
        for name in ("thanks/index.html", "print/index.html", "print/a5.html", "qr.svg", "qr.png"):
            assert (folder / name).is_file(), f"{department.id}/{name}"
    directory = (real_site / "index.html").read_text(encoding="utf-8")
    assert all(f'href="/d/{d.id}/"' in directory for d in questionnaire.departments)


def test_each_channel_is_thanked_on_its_own_page_that_leads_back_to_it(
    real_site: Path, questionnaire: Questionnaire
) -> None:
    """Someone answering from the WeChat link stays on `wechat`, not drift to the leaflet."""
    for department in questionnaire.departments:
        for index, channel in enumerate(public_channels(questionnaire)):
            form_url = f"/d/{department.id}/" + (f"{channel.id}/" if index else "")
            form = (real_site / form_url.lstrip("/") / "index.html").read_text(encoding="utf-8")
            assert f'data-thanks="{form_url}thanks/"' in form
            thanks = real_site / form_url.lstrip("/") / "thanks" / "index.html"
            links = re.findall(r'<a[^>]* href="(/d/[^"]*)"', thanks.read_text(encoding="utf-8"))
            assert links == [form_url], (channel.id, links)


@pytest.mark.parametrize(
    "page", ["d/sifaju/index.html", "index.html", "d/sifaju/thanks/index.html"]
)
def test_a_screen_page_paints_with_its_own_style_allowed_by_hash(
    real_site: Path, page: str
) -> None:
    """No render-blocking style sheet or script before the first paint: the style and the
    script's loader are in the page, and both the page's CSP and the headers it is served with
    allow exactly that text."""
    html = (real_site / page).read_text(encoding="utf-8")
    head = html.split("</head>")[0]
    assert 'rel="stylesheet"' not in head
    [style] = re.findall(r"<style>(.*?)</style>", head, re.S)
    assert ".question" in style
    # Nor a script before it: the inline loader starts it once the page has painted.
    [loader] = re.findall(r"<script data-src=[^>]*>(.*?)</script>", head, re.S)
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', head)
    assert meta is not None
    for inline, directive in ((style, "style-src"), (loader, "script-src")):
        digest = base64.b64encode(hashlib.sha256(inline.encode("utf-8")).digest()).decode()
        source = f"'sha256-{digest}'"
        for policy in (
            htmllib.unescape(meta.group(1)),
            security_headers("/" + page)["Content-Security-Policy"],
        ):
            [allowed] = [d for d in policy.split("; ") if d.startswith(directive + " ")]
            assert source in allowed.split(), (directive, policy)
    assert not any(
        p.name.endswith(".css") and p.name.startswith("site.")
        for p in (real_site / "assets").iterdir()
    )


def test_the_questionnaire_ships_as_json_for_the_collector(
    real_site: Path, questionnaire: Questionnaire
) -> None:
    shipped = json.loads(
        (real_site / "api" / "questionnaire" / f"{questionnaire.version}.json").read_text("utf-8")
    )
    assert shipped == questionnaire.to_dict()
    assert Questionnaire.from_dict(shipped).version == questionnaire.version


def test_each_qr_code_decodes_to_the_departments_permanent_url(
    real_site: Path, questionnaire: Questionnaire
) -> None:
    import zxingcpp
    from PIL import Image

    for department in questionnaire.departments:
        folder = real_site / "d" / department.id
        image = Image.open(io.BytesIO((folder / "qr.png").read_bytes()))
        decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
        assert decoded == [f"{BASE_URL}/d/{department.id}/"]
        svg = (folder / "qr.svg").read_text(encoding="utf-8")
        assert f"<desc>{BASE_URL}/d/{department.id}/</desc>" in svg


def test_no_page_refers_to_another_site(real_site: Path) -> None:
    reference = re.compile(r"""(?:src|href|action)=["']?([^"' >]+)|url\(([^)]+)\)|@import""")
    for path in real_site.rglob("*"):
        if path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        for match in reference.finditer(text):
            target = match.group(1) or match.group(2) or match.group(0)
            assert target.startswith(("/", "#", "tel:", "data:")), f"{path}: {target}"
            assert not target.startswith("//"), f"{path}: {target}"


def test_assets_are_named_by_their_content(real_site: Path) -> None:
    import hashlib

    for asset in (real_site / "assets").iterdir():
        stem, digest, suffix = asset.name.split(".")
        assert hashlib.sha256(asset.read_bytes()).hexdigest()[:10] == digest
        assert (stem, suffix) in {("site", "css"), ("print", "css"), ("site", "js")}


def test_a_rebuild_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    questionnaire = mini_questionnaire()
    out = tmp_path / "dist"
    first = build_site(questionnaire, out, base_url=BASE_URL)
    assert first.written.written == first.files
    before = files_under(out)
    again = build_site(questionnaire, out, base_url=BASE_URL)
    assert (again.written.written, again.written.removed) == (0, 0)
    assert files_under(out) == before


def test_a_change_rewrites_only_the_files_it_touches(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build_site(mini_questionnaire(), out, base_url=BASE_URL)
    before = files_under(out)
    renamed = MINI_YAML.replace("name: 新华区,", "name: 新华区人民政府,")
    report = build_site(mini_questionnaire(renamed), out, base_url=BASE_URL)
    after = files_under(out)
    changed = {path for path in after if before.get(path) != after[path]}
    # Its own pages and the lists of departments; not the other department's pages.
    assert changed
    lists = (
        "index.html",
        "print/index.html",
        f"api/questionnaire/{report.version}.json",
        "complaints/index.html",  # the city's complaint form lists every department
    )
    own = ("d/xinhuaqu/", "complaints/d/xinhuaqu/")
    assert all(path.startswith(own) or path in lists for path in changed), changed
    assert "d/xinhuaqu/qr.png" not in changed  # the URL did not change
    assert report.written.written == len(changed)


def test_a_removed_department_disappears_but_old_questionnaire_versions_stay(
    tmp_path: Path,
) -> None:
    out = tmp_path / "dist"
    old = mini_questionnaire()
    build_site(old, out, base_url=BASE_URL)
    fewer = MINI_YAML.replace("  - {id: sifaju, name: 测试市司法局, kind: city_department}\n", "")
    reworded = fewer.replace("是否干预企业依法自主经营？", "是否干预企业依法经营？")
    new = mini_questionnaire(reworded)
    report = build_site(new, out, base_url=BASE_URL)
    assert report.written.removed > 0
    assert not (out / "d" / "sifaju").exists()
    assert (out / "api" / "questionnaire" / f"{old.version}.json").is_file()
    assert (out / "api" / "questionnaire" / f"{new.version}.json").is_file()


def test_a_failed_build_leaves_the_old_site_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    build_site(mini_questionnaire(), out, base_url=BASE_URL)
    before = files_under(out)

    def broken(folder: Path | None, url: str, title: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "reuse_or_make_qr", broken)
    renamed = mini_questionnaire(MINI_YAML.replace("测试市司法局", "测试市司法局（新）"))
    with pytest.raises(OSError, match="disk full"):
        build_site(renamed, out, base_url=BASE_URL)
    assert files_under(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]  # no temporary folder left


def test_a_folder_that_is_not_a_site_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UnsafeOutput):
        build_site(mini_questionnaire(), tmp_path, base_url=BASE_URL)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_base_url_must_be_absolute() -> None:
    with pytest.raises(SiteError, match="base-url"):
        build_site(mini_questionnaire(), Path("unused"), base_url="example.test")


def test_a_channel_may_not_take_a_page_name(tmp_path: Path) -> None:
    # `manyi check` refuses it (tests/unit/test_loader.py); a model made without the loader too.
    data = mini_questionnaire().to_dict()
    channels = data["channels"]
    data["channels"] = [{**c, "id": "thanks"} if c["id"] == "phone" else c for c in channels]
    with pytest.raises(SiteError, match="thanks"):
        build_site(Questionnaire.from_dict(data), tmp_path / "dist", base_url=BASE_URL)
    assert not (tmp_path / "dist").exists()


def test_cli_a_bad_questionnaire_prints_the_loaders_errors_and_writes_nothing(
    tmp_path: Path,
) -> None:
    bad = write_mini(tmp_path, MINI_YAML.replace("kind: county", "kind: province"))
    out = tmp_path / "dist"
    result = manyi("build", "--questionnaire", str(bad), "--out", str(out), "--base-url", BASE_URL)
    assert result.returncode == 2
    assert "bad_department_kind" in result.stderr
    assert f"{bad}:" in result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_cli_reports_what_it_wrote_and_refuses_a_foreign_folder(tmp_path: Path) -> None:
    source = write_mini(tmp_path)
    out = tmp_path / "dist"
    first = manyi(
        "build", "--questionnaire", str(source), "--out", str(out), "--base-url", BASE_URL
    )
    assert first.returncode == 0, first.stderr
    assert (out / MARKER).is_file()
    second = manyi(
        "build", "--questionnaire", str(source), "--out", str(out), "--base-url", BASE_URL
    )
    assert ": 0 written," in second.stdout
    assert "0 removed" in second.stdout
    assert second.stderr == ""  # no progress bar on a pipe for two departments
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "photo.jpg").write_bytes(b"\xff\xd8")
    refused = manyi("build", "--questionnaire", str(source), "--out", str(foreign))
    assert refused.returncode == 2
    assert "not made by `manyi build`" in refused.stderr
    assert [p.name for p in foreign.iterdir()] == ["photo.jpg"]


def test_each_leaflet_has_name_qr_invitation_phone_and_period(
    real_site: Path, questionnaire: Questionnaire
) -> None:
    close_day = questionnaire.reporting.close_day
    for department in questionnaire.departments:
        for page in ("print/index.html", "print/a5.html"):
            html = (real_site / "d" / department.id / page).read_text(encoding="utf-8")
            assert f"<h1>{department.name}<br>" in html
            assert f'<img class="qr" src="/d/{department.id}/qr.svg"' in html
            assert f"{BASE_URL}/d/{department.id}/" in html
            assert "诚邀您对" in html
            assert "匿名填写" in html
            assert f"<dt>投诉电话</dt><dd>{department.complaint_phone}</dd>" in html
            assert f"每月 1 日至 {close_day} 日" in html
    sheet = (real_site / "print" / "index.html").read_text(encoding="utf-8")
    assert sheet.count('<li class="card">') == len(questionnaire.departments)
    assert all(f'src="/d/{d.id}/qr.svg"' in sheet for d in questionnaire.departments)


def test_qr_codes_are_reused_only_while_they_encode_the_same_url(tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    out = tmp_path / "dist"
    build_site(mini_questionnaire(), out, base_url=BASE_URL)
    before = files_under(out)
    build_site(mini_questionnaire(), out, base_url="https://survey.example.test/")
    after = files_under(out)
    assert before["d/sifaju/qr.png"] != after["d/sifaju/qr.png"]
    image = Image.open(out / "d" / "sifaju" / "qr.png")
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [
        "https://survey.example.test/d/sifaju/"
    ]


def test_the_progress_bar_shows_only_on_a_terminal_or_for_many_departments() -> None:
    from manyi.cli.build import MANY_DEPARTMENTS, ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not ProgressBar(io.StringIO(), 38).enabled
    pipe = io.StringIO()
    many = ProgressBar(pipe, MANY_DEPARTMENTS * 5)
    assert many.enabled
    for done in range(1, many.total + 1):
        many.update(done, many.total)
    assert len(pipe.getvalue().splitlines()) == 11  # 0%, 10%, ..., 100%
    screen = Terminal()
    bar = ProgressBar(screen, 3)
    for done in (1, 2, 3):
        bar.update(done, 3)
    bar.finish()
    assert screen.getvalue().endswith("] 3/3 departments\n")
    assert screen.getvalue().count("\r") == 3


def test_a_collector_on_another_origin_is_allowed_by_the_policy(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build_site(mini_questionnaire(), out, base_url=BASE_URL, api_url="https://api.example.test/")
    page = (out / "d" / "sifaju" / "index.html").read_text(encoding="utf-8")
    assert 'action="https://api.example.test/submissions"' in page
    assert "connect-src &#39;self&#39; https://api.example.test;" in page
    assert "form-action &#39;self&#39; https://api.example.test;" in page


@pytest.mark.parametrize("api_url", ["api", "ftp://x.test/api", "//api.example.test"])
def test_an_api_url_must_be_a_path_or_an_http_url(tmp_path: Path, api_url: str) -> None:
    with pytest.raises(SiteError, match="api-url"):
        build_site(mini_questionnaire(), tmp_path / "dist", base_url=BASE_URL, api_url=api_url)
    assert not (tmp_path / "dist").exists()
