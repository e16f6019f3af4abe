"""Render the site's pages with Jinja2 (autoescape on, StrictUndefined) from templates/.

`render_form_page` is the contract with the collector: it answers a plain-form post that has
errors with the very page the person filled in, their answers kept and each error shown in
Chinese next to its question. Jinja2 is imported only when a page is first rendered, so
importing this module costs the collector nothing on a cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from manyi.messages import PRESSURE, page_message, pressure_message, submission_message
from manyi.model import DEPARTMENT_KINDS, Channel, Department, Questionnaire
from manyi.store.pressure.base import PRESSURE_ANSWERS
from site_builder import paths
from site_builder.assets import TEMPLATES, Assets, load_assets
from site_builder.policy import content_security_policy
from site_builder.views import FieldProblem, problem_views, section_views

if TYPE_CHECKING:
    import jinja2

# Stand-ins for the channel while a department's page is rendered once for all its channels.
_CHANNEL_ID = "manyi-channel-id-3b9f0c"
_CHANNEL_NOTE = "<!--manyi-channel-note-3b9f0c-->"
_CHANNEL_THANKS = "/manyi-channel-thanks-3b9f0c/"
# What a page is rendered for: given itself, or by its ID in the questionnaire.
_Named = TypeVar("_Named", Department, Channel)


@dataclass(frozen=True, slots=True)
class PageHead:
    """What every page's <head> needs."""

    title: str
    style: str | None  # inline CSS (Markup: CSS is not HTML-escaped), allowed by its hash
    css: str | None  # a style sheet's URL
    script: str | None  # site.js's URL, started by the inline loader once the page has painted
    csp: str
    description: str
    loader: str | None = None  # the inline loader (Markup), allowed by its hash


def render_form_page(
    questionnaire: Questionnaire,
    department: Department | str,
    channel: Channel | str,
    *,
    api_url: str,
    answers: Mapping[str, object] | None = None,
    errors: Iterable[FieldProblem] | None = None,
    notice: str | None = None,
) -> str:
    """The questionnaire page of `department` for `channel`, as the build writes it.

    `answers` are raw answers (question ID → option ID or list of option IDs) to show checked;
    `errors` are the collector's field errors (`.field`, `.code`, `.message`), shown next to
    their questions and listed at the top; `notice` is a word from the collector above the form
    (e.g. that these very answers were just received), with a link to a blank form.
    Unknown department or channel IDs raise `LookupError`.
    """
    dept = _given("department", department, questionnaire.department)
    chan = _given("channel", channel, questionnaire.channel)
    given = list(errors or ())
    problems = problem_views(questionnaire, given)
    by_field: dict[str, str] = {}
    for problem in given:
        by_field.setdefault(problem.field, problem.message)
    sections = section_views(questionnaire, dept, answers, by_field)
    api = paths.normalized_api_url(api_url)
    slots = _ChannelSlots(
        chan.id,
        _channel_note(questionnaire, chan),
        paths.thanks_path(questionnaire, dept, chan),
        paths.channel_path(questionnaire, dept, chan),
    )
    return _form_html(questionnaire, dept, sections, problems, api, slots, notice)


def render_department_forms(
    questionnaire: Questionnaire, department: Department, *, api_url: str
) -> dict[str, str]:
    """Every channel's page of one department, by URL path, as `render_form_page` makes them.

    The pages differ only in the hidden channel field, the staff note and the thank-you page's
    address, so the page is rendered once with a token in each place and the tokens replaced:
    the build's hot path.
    """
    from markupsafe import Markup, escape

    sections = section_views(questionnaire, department)
    api = paths.normalized_api_url(api_url)
    note = Markup(_CHANNEL_NOTE)  # noqa: S704 (a constant of ours, replaced below)
    tokens = _ChannelSlots(_CHANNEL_ID, note, _CHANNEL_THANKS, "")
    html = _form_html(questionnaire, department, sections, (), api, tokens, None)
    if any(html.count(token) != 1 for token in (_CHANNEL_ID, _CHANNEL_NOTE, _CHANNEL_THANKS)):
        raise ValueError("form.html.j2 must show the channel, its note and thanks URL once each")
    return {
        paths.channel_path(questionnaire, department, channel): html.replace(
            _CHANNEL_ID, str(escape(channel.id))
        )
        .replace(_CHANNEL_NOTE, _channel_note(questionnaire, channel))
        .replace(
            _CHANNEL_THANKS, str(escape(paths.thanks_path(questionnaire, department, channel)))
        )
        for channel in paths.public_channels(questionnaire)
    }


def render_thanks_page(
    questionnaire: Questionnaire, department: Department, channel: Channel, *, api_url: str
) -> str:
    """What follows a stored submission from `channel`'s page: 再填一份 goes back to that page."""
    return _render(
        "thanks.html.j2",
        head=_head(f"提交成功 · {department.name}", api_url, "感谢您参加依法行政调查问卷。"),
        questionnaire=questionnaire,
        department=department,
        form_url=paths.channel_path(questionnaire, department, channel),
        again=page_message("again"),
        again_hint=page_message("again_hint"),
        pressure_url=paths.normalized_api_url(api_url) + "/pressure",
        pressure={code: pressure_message(code) for code in PRESSURE},
        pressure_answers=PRESSURE_ANSWERS,
    )


def render_directory(questionnaire: Questionnaire, *, api_url: str) -> str:
    groups = [
        (label, [d for d in questionnaire.departments if d.kind == kind])
        for kind, label in DEPARTMENT_KINDS.items()
    ]
    return _render(
        "directory.html.j2",
        head=_head(
            f"{questionnaire.title} · 选择单位",
            api_url,
            f"{questionnaire.office.name}组织的{questionnaire.title}：请选择要评价的单位。",
        ),
        questionnaire=questionnaire,
        groups=[(label, members) for label, members in groups if members],
        channel_links=_channel_links,
        leaflet_url=lambda d: paths.leaflet_path(d, "a4"),
    )


def render_leaflet(
    questionnaire: Questionnaire, department: Department, *, paper: str, base_url: str
) -> str:
    """The printable leaflet (宣传彩页) of one department on A4 or A5 paper."""
    base = paths.normalized_base_url(base_url)
    other = "a5" if paper == "a4" else "a4"
    return _render(
        "leaflet.html.j2",
        head=_print_head(f"宣传彩页 · {department.name}"),
        questionnaire=questionnaire,
        department=department,
        paper=paper,
        other_paper=other,
        other_url=paths.leaflet_path(department, other),
        survey_url=base + paths.department_path(department),
        complaint_url=f"{base}/complaints/d/{department.id}/",
        qr_url=paths.department_path(department) + "qr.svg",
    )


def render_sheet(questionnaire: Questionnaire, *, base_url: str) -> str:
    """One printable sheet with every department's QR code, for the office."""
    base = paths.normalized_base_url(base_url)
    return _render(
        "sheet.html.j2",
        head=_print_head(f"各单位问卷二维码 · {questionnaire.office.name}"),
        questionnaire=questionnaire,
        cards=[
            (d, base + paths.department_path(d), paths.department_path(d) + "qr.svg")
            for d in questionnaire.departments
        ],
    )


# -- internals ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ChannelSlots:
    """What differs between the pages of one department's channels."""

    id: str
    note: str
    thanks_url: str
    form_url: str  # the blank page, for a notice's 再填一份 (pages with a notice only)


def _form_html(
    questionnaire: Questionnaire,
    department: Department,
    sections: Any,
    problems: Any,
    api: str,
    channel: _ChannelSlots,
    notice: str | None,
) -> str:
    title = f"{department.name} · {questionnaire.title}"
    return _render(
        "form.html.j2",
        head=_head(
            (f"{page_message('fix_title')} · " if problems else "") + title,
            api,
            f"{department.name}依法行政调查问卷，匿名填写，约需3分钟。",
        ),
        questionnaire=questionnaire,
        department=department,
        channel_id=channel.id,
        channel_note=channel.note,
        sections=sections,
        problems=problems,
        problems_heading=submission_message("invalid_answers", count=len(problems)),
        notice=notice,
        again=page_message("again"),
        again_url=channel.form_url,
        action=f"{api}/submissions",
        thanks_url=channel.thanks_url,
    )


def _channel_note(questionnaire: Questionnaire, channel: Channel) -> str:
    """For staff: which channel a page records (the default channel's page says nothing)."""
    from markupsafe import Markup, escape

    if channel == paths.default_channel(questionnaire):
        return Markup("")
    return Markup('<p class="channel">填写渠道：{}</p>\n').format(escape(channel.name))


def _channel_links(questionnaire: Questionnaire, department: Department) -> list[tuple[str, str]]:
    return [
        (c.name, paths.channel_path(questionnaire, department, c))
        for c in paths.public_channels(questionnaire)
    ]


def _head(title: str, api_url: str, description: str) -> PageHead:
    from markupsafe import Markup

    assets = _assets()
    return PageHead(
        title=title,
        style=Markup(assets.screen_css.text),  # noqa: S704 (our own CSS, checked for `</`)
        css=None,
        script=assets.site_js.url,
        csp=content_security_policy(api_url),
        description=description,
        loader=Markup(assets.loader_js.text),  # noqa: S704 (our own script, checked for `</`)
    )


def _print_head(title: str) -> PageHead:
    return PageHead(
        title=title,
        style=None,
        css=_assets().print_css.url,
        script=None,
        csp=content_security_policy(""),
        description=title,
    )


def _given(kind: str, given: _Named | str, by_id: Callable[[str], _Named | None]) -> _Named:
    """The department or channel given, or the questionnaire's of the ID given (`by_id` finds
    it); an unknown ID raises LookupError."""
    if not isinstance(given, str):
        return given
    found = by_id(given)
    if found is None:
        raise LookupError(f"no {kind} {given!r} in the questionnaire")
    return found


def _assets() -> Assets:
    return load_assets(TEMPLATES)


def _render(template: str, **context: Any) -> str:
    return _environment(TEMPLATES).get_template(template).render(**context)


@lru_cache(maxsize=2)
def _environment(templates: Path) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
