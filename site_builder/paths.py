"""Where each page lives: the permanent department URL, one link per channel, and the rest.

The first channel of questionnaire.yaml (the leaflet's QR code) is answered at the permanent
`/d/<id>/`; every other self-completed channel (WeChat) has its own static page at
`/d/<id>/<channel>/`, which carries the channel in a hidden field, so each link works with
JavaScript off. Each form page has its thank-you page below it (`/d/<id>/thanks/`,
`/d/<id>/<channel>/thanks/`), whose 再填一份 leads back to the same channel. Staff channels
(phone, meeting, visit, paper) have no public page: they are keyed in the workspace.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from manyi.errors import ManyiError
from manyi.model import RESERVED_CHANNEL_IDS, Channel, Department, Questionnaire


class SiteError(ManyiError, ValueError):
    """The site cannot be built as asked (a bad URL, a channel ID that clashes with a page)."""


def default_channel(questionnaire: Questionnaire) -> Channel:
    return questionnaire.channels[0]


def public_channels(questionnaire: Questionnaire) -> tuple[Channel, ...]:
    """The channels with a public page: those the respondent fills in. Staff channels (phone,
    meeting, visit, paper) are keyed in the workspace, so no citizen is one tap from them."""
    return tuple(c for c in questionnaire.channels if c.entry == "self")


def department_path(department: Department) -> str:
    return f"/d/{department.id}/"


def channel_path(questionnaire: Questionnaire, department: Department, channel: Channel) -> str:
    if channel == default_channel(questionnaire):
        return department_path(department)
    return f"{department_path(department)}{channel.id}/"


def thanks_path(questionnaire: Questionnaire, department: Department, channel: Channel) -> str:
    """Each channel's own thank-you page, so that its link back (再填一份) keeps the channel."""
    return f"{channel_path(questionnaire, department, channel)}thanks/"


def leaflet_path(department: Department, paper: str) -> str:
    name = "" if paper == "a4" else f"{paper}.html"
    return f"{department_path(department)}print/{name}"


def file_of(path: str) -> str:
    """The file in dist/ that serves a URL path: folders get their index.html."""
    relative = path.lstrip("/")
    return relative + "index.html" if relative.endswith("/") or not relative else relative


def check_channels(questionnaire: Questionnaire) -> None:
    """The loader's rule, again for a model made without it (`Questionnaire.from_dict`)."""
    clashes = [c.id for c in questionnaire.channels if c.id in RESERVED_CHANNEL_IDS]
    if clashes:
        raise SiteError(
            f"channel ID(s) {', '.join(clashes)} clash with page names under /d/<id>/ "
            f"({', '.join(sorted(RESERVED_CHANNEL_IDS))}); rename the channel in questionnaire.yaml"
        )


def normalized_base_url(base_url: str) -> str:
    """An absolute http(s) URL without a trailing slash: QR codes need the full address."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SiteError(f"--base-url must be an absolute http(s) URL, got {base_url!r}")
    if parts.query or parts.fragment:
        raise SiteError(f"--base-url must not have a query or fragment, got {base_url!r}")
    return base_url.rstrip("/")


def normalized_api_url(api_url: str) -> str:
    """The collector's API root, same-origin (`/api`) or absolute, without a trailing slash."""
    parts = urlsplit(api_url)
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    if not (absolute or (not parts.scheme and not parts.netloc and api_url.startswith("/"))):
        raise SiteError(f"--api-url must be a path such as /api or an http(s) URL, got {api_url!r}")
    # "/" means the API sits at the site's root: keep "" so "/submissions" follows it.
    return api_url.rstrip("/")
