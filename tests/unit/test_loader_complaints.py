"""The `complaints:` section of questionnaire.yaml: defaults, and problems by line."""

from __future__ import annotations

from pathlib import Path

from manyi.loader import check_text

QUESTIONNAIRE = Path(__file__).resolve().parents[2] / "questionnaire.yaml"


def test_the_shipped_file_sets_the_municipal_defaults() -> None:
    questionnaire, problems = check_text(QUESTIONNAIRE.read_text(encoding="utf-8"))
    assert problems == []
    assert questionnaire is not None
    settings = questionnaire.complaints
    assert (settings.accept_days, settings.conclude_days, settings.extension_days) == (5, 30, 20)
    assert settings.about("abuse") == "conduct"
    assert settings.about("delay") == "action"


def test_bad_settings_are_reported_with_their_lines() -> None:
    text = QUESTIONNAIRE.read_text(encoding="utf-8")
    text = text.split("\ncomplaints:")[0] + (
        "\ncomplaints:\n  accept_days: -1\n  conclude_days: many\n"
        "  conduct_categories: [abuse, gossip]\n"
    )
    lines = text.count("\n")
    questionnaire, problems = check_text(text)
    assert questionnaire is None
    found = {(p.code, p.line) for p in problems}
    assert ("bad_working_days", lines - 2) in found
    assert ("bad_working_days", lines - 1) in found
    assert ("unknown_complaint_category", lines) in found
    assert any("gossip" in p.message for p in problems)


def test_retention_defaults_to_two_years_and_is_checked_by_line() -> None:
    text = QUESTIONNAIRE.read_text(encoding="utf-8")
    questionnaire, problems = check_text(text)
    assert questionnaire is not None
    assert questionnaire.complaints.retention_years == 2
    without = text.replace("  retention_years: 2\n", "")
    questionnaire, problems = check_text(without)
    assert problems == []
    assert questionnaire is not None
    assert questionnaire.complaints.retention_years == 2
    for bad in ("0", "31", "1.5", "forever", "true"):
        changed = text.replace("  retention_years: 2\n", f"  retention_years: {bad}\n")
        line = text.split("  retention_years: 2\n")[0].count("\n") + 1
        questionnaire, problems = check_text(changed)
        assert questionnaire is None, bad
        assert [(p.code, p.line) for p in problems] == [("bad_retention_years", line)], bad
