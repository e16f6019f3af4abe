"""Golden files: the built site of a small questionnaire, byte for byte, hashes normalized.

A change to a template shows up here as a readable diff. After checking the diff, accept it with
`MANYI_UPDATE_GOLDEN=1 python -m pytest tests/integration/test_site_golden.py`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from manyi.messages import answer_message
from manyi.submission import FieldError
from site_builder.build import build_site
from site_builder.render import render_form_page
from tests.site_fixture import BASE_URL, mini_questionnaire

GOLDEN = Path(__file__).parents[1] / "golden" / "site"
PAGES = (
    "index.html",
    "print/index.html",
    "d/sifaju/index.html",
    "d/sifaju/phone/index.html",
    "d/sifaju/thanks/index.html",
    "d/sifaju/phone/thanks/index.html",
    "d/xinhuaqu/print/index.html",
    "d/xinhuaqu/print/a5.html",
)
ASSET_NAME = re.compile(r"\b(site|print)\.[0-9a-f]{10}\.(css|js)\b")
# The screen style sheet and the script's loader inline, and their hashes in the CSP:
# templates/site.css and templates/load.js are not golden, and tests/integration/
# test_site_build.py checks that the hashes allow exactly the texts.
INLINE_STYLE = re.compile(r"<style>[^<]*</style>")
INLINE_LOADER = re.compile(r"(<script data-src=\"[^\"]*\">).*?(</script>)", re.S)
INLINE_HASH = re.compile(r"&#39;sha256-[A-Za-z0-9+/=]{44}&#39;")


def normalized(text: str, version: str) -> str:
    text = INLINE_STYLE.sub("<style>SITE.CSS</style>", text)
    text = INLINE_LOADER.sub(r"\1LOAD.JS\2", text)
    text = INLINE_HASH.sub("&#39;sha256-INLINE&#39;", text)
    return ASSET_NAME.sub(r"\1.HASH.\2", text).replace(version, "VERSION")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    questionnaire = mini_questionnaire()
    out = tmp_path_factory.mktemp("golden") / "dist"
    build_site(questionnaire, out, base_url=BASE_URL)
    outputs = {
        page: normalized((out / page).read_text(encoding="utf-8"), questionnaire.version)
        for page in PAGES
    }
    # Sorted after the hashes are normalized: their order must not depend on their values.
    tree = sorted(
        normalized(p.relative_to(out).as_posix(), questionnaire.version)
        for p in out.rglob("*")
        if p.is_file()
    )
    outputs["tree.txt"] = "\n".join(tree) + "\n"
    errors = render_form_page(
        questionnaire,
        "sifaju",
        "leaflet",
        api_url="/api",
        answers={"respondent": ["private"], "q1": ["unlawful_procedure", "none"], "q2": ["yes"]},
        errors=[
            FieldError("q1", "exclusive", answer_message("exclusive", option="不存在以上情况")),
            FieldError("q3", "required", answer_message("required")),
            FieldError("p1", "required", answer_message("required")),
        ],
    )
    outputs["errors.html"] = normalized(errors, questionnaire.version)
    return outputs


@pytest.mark.parametrize("name", [*PAGES, "tree.txt", "errors.html"])
def test_output_matches_the_golden_file(built: dict[str, str], name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("MANYI_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(built[name], encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with MANYI_UPDATE_GOLDEN=1 to create it"
    assert built[name] == golden.read_text(encoding="utf-8")
