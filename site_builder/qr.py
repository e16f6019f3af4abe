"""QR codes for printed leaflets: an SVG for print and a PNG for chat apps, same URL inside."""

from __future__ import annotations

import io
from dataclasses import dataclass

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
