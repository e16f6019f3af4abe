"""The message catalogue: each code typed, each typed code worded, and a typo caught by mypy."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from manyi import messages

CATALOGUES = [
    (messages.DefinitionCode, messages.DEFINITION),
    (messages.AnswerCode, messages.ANSWER),
    (messages.SubmissionCode, messages.SUBMISSION),
    (messages.SubmissionFieldCode, messages.SUBMISSION_FIELD),
    (messages.PageCode, messages.PAGE),
]


@pytest.mark.parametrize(("codes", "catalogue"), CATALOGUES)
def test_every_code_has_words_and_every_word_a_code(codes: object, catalogue: object) -> None:
    assert isinstance(catalogue, dict)
    assert set(get_args(codes)) == set(catalogue)
    assert all(isinstance(text, str) and text.strip() for text in catalogue.values())


@pytest.mark.slow
def test_a_mistyped_code_fails_mypy(tmp_path: Path) -> None:
    from mypy import api

    snippet = tmp_path / "typo.py"
    snippet.write_text(
        "from manyi.messages import answer_message, page_message\n"
        'answer_message("requried")\n'
        'page_message("sending")\n',
        encoding="utf-8",
    )
    out, _, status = api.run(
        [str(snippet), "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache")]
    )
    assert status == 1, out
    assert 'typo.py:2: error: Argument 1 to "answer_message" has incompatible type' in out
    assert "typo.py:3" not in out
