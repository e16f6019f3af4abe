"""QR codes for printed leaflets: an SVG for print and a PNG for chat apps, same URL inside.

Making a code is the slowest step of a build (segno tries all eight masks), so each SVG starts
with a comment naming what it encodes and how; a rebuild reuses both images when it matches.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import segno

# Medium error correction survives a crease or a smudge on a leaflet and keeps the code small
# enough (version 3 or 4 for our URLs) to scan from a cheap phone at arm's length.
ERROR_CORRECTION = "m"
PNG_SCALE = 8
SVG_SCALE = 4
QUIET_ZONE = 4


@dataclass(frozen=True, slots=True)
class QrImages:
    svg: bytes
    png: bytes


def make_qr(url: str, title: str) -> QrImages:
    """Both images of the code for `url`; `title` names it for screen readers (in the SVG)."""
    code = segno.make(url, error=ERROR_CORRECTION, micro=False)
    svg = io.BytesIO()
    svg.write(_signature(url, title))
    code.save(
        svg,
        kind="svg",
        scale=SVG_SCALE,
        border=QUIET_ZONE,
        xmldecl=False,
        svgclass=None,
        lineclass=None,
        title=title,
        desc=url,
    )
    png = io.BytesIO()
    code.save(png, kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
    return QrImages(svg=svg.getvalue(), png=png.getvalue())


def reuse_or_make_qr(folder: Path | None, url: str, title: str) -> QrImages:
    """The images in `folder` from an earlier build if they encode the same, else new ones."""
    if folder is None:
        return make_qr(url, title)
    try:
        svg = (folder / "qr.svg").read_bytes()
        if svg.startswith(_signature(url, title)):
            return QrImages(svg=svg, png=(folder / "qr.png").read_bytes())
    except OSError:
        pass
    return make_qr(url, title)


def _signature(url: str, title: str) -> bytes:
    settings = f"{segno.__version__}|{ERROR_CORRECTION}|{SVG_SCALE}|{PNG_SCALE}|{QUIET_ZONE}"
    digest = hashlib.sha256(f"{settings}|{url}|{title}".encode()).hexdigest()[:16]
    return f"<!-- manyi qr {digest} -->\n".encode()
