"""questionnaire.yaml's `followup` section: checked with line-numbered problems like the rest."""

from __future__ import annotations

from pathlib import Path

from manyi.loader import check_text

ROOT = Path(__file__).resolve().parents[2]


def test_bad_followup_settings_are_reported_by_line() -> None:
    text = (ROOT / "questionnaire.yaml").read_text(encoding="utf-8")
    text = text.replace("      penalty_summary: 0.4", "      penalty_summary: 1.5")
    text = text.replace("    departments: {}", "    departments: {nowhere: {penalty_general: 1}}")
    text = text.replace("  max_attempts: 3 ", "  max_attempts: 0 ")
    lines = text.splitlines()
    questionnaire, problems = check_text(text)
    assert questionnaire is None
    found = {(p.code, lines[p.line - 1].strip().split(":")[0]) for p in problems}
    assert found == {
        ("bad_share", "penalty_summary"),
        ("followup_unknown_department", "departments"),
        ("bad_whole", "max_attempts"),
    }


def test_the_followup_form_uses_the_survey_option_sets() -> None:
    questionnaire, problems = check_text((ROOT / "questionnaire.yaml").read_text("utf-8"))
    assert problems == []
    assert questionnaire is not None
    assert questionnaire.followup is not None
    result = next(q for q in questionnaire.followup.questions if q.id == "fu_result")
    assert [o.text for o in result.options] == ["满意", "基本满意", "不满意", "不了解"]
    assert questionnaire.followup.text_id == "what_happened"
