"""Site figures: page weight (gzipped), build time for 1,000 departments, a no-change rebuild.

    python bench/bench_site.py                # weight and build speed
    python bench/bench_site.py --lighthouse   # also Lighthouse mobile (npm lighthouse@12.2.3,
                                              # installed into .tools/, run on Debian's chromium)

Budgets from the issues: a department page with everything it loads ≤ 15 KB gzipped; ≤ 2 ms per
page for 1,000 departments; a rebuild with nothing changed writes nothing; Lighthouse mobile
first contentful paint of a department page within 1.1x that of a bare page of the same title
on the same server (the median of --runs runs each), performance, accessibility and best
practices 100.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manyi.loader import load_questionnaire  # noqa: E402
from manyi.model import Questionnaire  # noqa: E402
from site_builder.build import build_site, site_files  # noqa: E402
from site_builder.qr import make_qr  # noqa: E402

WEIGHT_BUDGET = 15 * 1024
MS_PER_PAGE_BUDGET = 2.0
FCP_RATIO_BUDGET = 1.1
BARE_PAGE = "/bare/"
LIGHTHOUSE = "lighthouse@12.2.3"
TOOLS = ROOT / ".tools" / "lighthouse"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --no-first-run --disable-sync"
)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_weight(dist: Path, page: str) -> dict[str, int]:
    """The page and every file it loads (style sheet, script; images it has none)."""
    html = (dist / page).read_bytes()
    loads = re.findall(rb'(?:href|src)="(/assets/[^"]+)"', html)
    sizes = {page: gz(html)}
    for url in loads:
        sizes[url.decode()[1:]] = gz((dist / url.decode()[1:]).read_bytes())
    return sizes


def many_departments(questionnaire: Questionnaire, count: int) -> Questionnaire:
    data = questionnaire.to_dict()
    real = data["departments"]
    data["departments"] = [
        {**real[i % len(real)], "id": f"dept-{i:04d}", "name": f"{real[i % len(real)]['name']}{i}"}
        for i in range(count)
    ]
    return Questionnaire.from_dict(data)


def bench_weight(questionnaire: Questionnaire, dist: Path) -> None:
    print("== page weight (gzip -6) ==")
    for page in ("d/sifaju/index.html", "d/renshiju/wechat/index.html", "index.html"):
        sizes = page_weight(dist, page)
        total = sum(sizes.values())
        parts = ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in sizes.items())
        verdict = "within" if total <= WEIGHT_BUDGET else "OVER"
        print(f"{page}: {total / 1024:.1f} KB total ({verdict} the 15 KB budget): {parts}")


def bench_build(questionnaire: Questionnaire, departments: int) -> None:
    print(f"== build: {departments} departments ==")
    big = many_departments(questionnaire, departments)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "dist"
        started = time.perf_counter()
        report = build_site(big, out, base_url="https://example.test")
        cold = time.perf_counter() - started
        started = time.perf_counter()
        again = build_site(big, out, base_url="https://example.test")
        warm = time.perf_counter() - started
    started = time.perf_counter()
    rendered = sum(1 for _ in site_files(big, base_url="https://example.test"))
    in_memory = time.perf_counter() - started
    started = time.perf_counter()
    for department in big.departments[:200]:
        make_qr(f"https://example.test/d/{department.id}/", department.name)
    qr_ms = (time.perf_counter() - started) / 200 * 1000
    pages = report.pages
    print(
        f"first build: {cold:.2f} s for {report.files} files ({pages} HTML pages): "
        f"{cold / pages * 1000:.2f} ms per page, {cold / departments * 1000:.2f} ms per department "
        f"(budget {MS_PER_PAGE_BUDGET} ms per page: "
        f"{'within' if cold / pages * 1000 <= MS_PER_PAGE_BUDGET else 'OVER'})"
    )
    print(
        f"  of which rendering in memory: {in_memory:.2f} s for {rendered} files; "
        f"QR code (SVG + PNG): {qr_ms:.2f} ms per department"
    )
    print(
        f"rebuild, nothing changed: {warm:.2f} s, {again.written.written} files written, "
        f"{again.written.removed} removed "
        f"({'writes nothing' if not again.written.changed else 'WROTE FILES'})"
    )


def bench_lighthouse(dist: Path, runs: int) -> None:
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(TOOLS), LIGHTHOUSE],
            check=True,
        )
    write_bare_page(dist, "d/sifaju/index.html")
    servers = (
        ("plain http.server, no compression", QuietHandler, ("/d/sifaju/", BARE_PAGE)),
        (
            "gzip, as the CDN serves",
            CompressingHandler,
            ("/d/sifaju/", BARE_PAGE, "/", "/d/sifaju/thanks/"),
        ),
    )
    for label, handler_class, pages in servers:
        print(f"== Lighthouse mobile, {label} (median FCP of {runs} runs) ==")
        handler = partial(handler_class, directory=str(dist))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            fcp = {page: lighthouse_page(binary, server.server_port, page, runs) for page in pages}
        finally:
            server.shutdown()
        ratio = fcp["/d/sifaju/"] / fcp[BARE_PAGE]
        verdict = "within" if ratio <= FCP_RATIO_BUDGET else "OVER"
        print(
            f"FCP /d/sifaju/ vs a bare page of the same title: {fcp['/d/sifaju/']:.0f} ms / "
            f"{fcp[BARE_PAGE]:.0f} ms = {ratio:.2f}x ({verdict} the {FCP_RATIO_BUDGET}x budget)"
        )


def lighthouse_page(binary: Path, port: int, page: str, runs: int) -> float:
    """Print the page's scores and what is below full marks; return its median FCP in ms."""
    reports = [lighthouse(binary, f"http://127.0.0.1:{port}{page}") for _ in range(runs)]
    fcp = statistics.median(r["audits"]["first-contentful-paint"]["numericValue"] for r in reports)
    data = reports[-1]
    scores = {
        name: round((category["score"] or 0) * 100) for name, category in data["categories"].items()
    }
    failing = [
        f"{audit_id} {audit.get('displayValue', '')}".strip()
        for audit_id, audit in data["audits"].items()
        if audit.get("score") is not None
        and audit["score"] < 1
        and audit.get("scoreDisplayMode") in ("binary", "numeric")
    ]
    print(f"{page}: FCP {fcp:.0f} ms; {scores}; below full marks: {failing or 'none'}")
    return float(fcp)


def write_bare_page(dist: Path, like: str) -> None:
    """A page with nothing but the title (and it as a heading, to paint), beside the site."""
    title = re.search(r"<title>(.*?)</title>", (dist / like).read_text(encoding="utf-8"))
    assert title is not None
    bare = dist / BARE_PAGE.strip("/") / "index.html"
    bare.parent.mkdir(parents=True, exist_ok=True)
    bare.write_text(
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title.group(1)}</title>\n</head>\n<body>\n<h1>{title.group(1)}</h1>\n"
        "</body>\n</html>\n",
        encoding="utf-8",
    )


def lighthouse(binary: Path, url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [
                str(binary),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                f"--chrome-flags={CHROME_FLAGS}",
                "--only-categories=performance,accessibility,best-practices",
            ],
            env={**os.environ, "CHROME_PATH": shutil.which("chromium") or "/usr/bin/chromium"},
            check=True,
        )
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve dist/ with the headers the CDN will send."""

    def end_headers(self) -> None:
        from site_builder.policy import security_headers

        for name, value in security_headers(self.path).items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class CompressingHandler(QuietHandler):
    """As the CDN does (CloudFront's `Compress: true` in infra/template.yaml): gzip for text."""

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        kind = self.guess_type(str(path))
        wants = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants and path.is_file() and kind.startswith(("text/", "application/javascript"))):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        charset = "" if "charset" in kind else "; charset=utf-8"
        self.send_header("Content-Type", kind + charset)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=1000, help="0: no build figures")
    parser.add_argument("--lighthouse", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page")
    args = parser.parse_args()
    questionnaire = load_questionnaire(ROOT / "questionnaire.yaml")
    with tempfile.TemporaryDirectory() as folder:
        dist = Path(folder) / "dist"
        build_site(questionnaire, dist, base_url="https://example.test")
        bench_weight(questionnaire, dist)
        if args.departments > 0:
            bench_build(questionnaire, args.departments)
        if args.lighthouse:
            bench_lighthouse(dist, args.runs)


if __name__ == "__main__":
    main()
