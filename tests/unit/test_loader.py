"""Every class of mistake a person editing questionnaire.yaml can make, with its line."""

from __future__ import annotations

import pytest

from manyi.loader import DefinitionError, check_text, load_questionnaire

BASE = """\
title: 测试问卷
source: 测试
office: {name: 办公室, phone: 0375-2663225, email: office@example.test}
department_slots: [该地区（部门）]
channels:
  - {id: leaflet, name: 宣传彩页二维码}
reporting: {coverage_target: 0.9, close_day: 27, timezone: Asia/Shanghai}
option_sets:
  yes_no:
    - {id: "yes", text: 是, valence: unfavourable}
    - {id: "no", text: 否, valence: favourable}
sections:
  - id: main
    title: 一、必答项
    questions:
      - id: q1
        number: 1
        kind: multiple
        text: 该地区（部门）是否存在以下情况？
        options:
          - {id: rough, text: 执法简单粗暴, valence: unfavourable}
          - {id: none, text: 不存在以上情况, valence: favourable, exclusive: true}
      - id: q2
        number: 2
        when: {question: q1, any_of: [rough]}
        text: 您满意吗？
        options:
          - {id: satisfied, text: 满意, valence: favourable, score: 100}
          - {id: unknown, text: 不了解, valence: neutral}
      - id: q3
        number: 3
        text: 是否被检查？
        options: yes_no
departments:
  - {id: sifaju, name: 市司法局, kind: city_department}
  - {id: xinhuaqu, name: 新华区, kind: county, complaint_phone: 0375-1234567}
"""


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing fragment."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return found[occurrence - 1]


def problems_of(text: str) -> list[tuple[int, str]]:
    questionnaire, problems = check_text(text, "q.yaml")
    assert questionnaire is None, "a broken file must not yield a questionnaire"
    assert all(p.file == "q.yaml" for p in problems)
    return [(p.line, p.code) for p in problems]


def edit(old: str, new: str, occurrence: int = 1) -> str:
    """BASE with the n-th `old` replaced by `new`."""
    return _replace_nth(BASE, old, new, occurrence)


def _replace_nth(text: str, old: str, new: str, n: int) -> str:
    start = -1
    for _ in range(n):
        start = text.index(old, start + 1)
    return text[:start] + new + text[start + len(old) :]


def test_base_is_valid() -> None:
    questionnaire, problems = check_text(BASE)
    assert problems == []
    assert questionnaire is not None
    assert [q.id for q in questionnaire.questions] == ["q1", "q2", "q3"]
    assert questionnaire.department("xinhuaqu").complaint_phone == "0375-1234567"  # type: ignore[union-attr]
    assert questionnaire.department("sifaju").complaint_phone == "0375-2663225"  # type: ignore[union-attr]


def test_syntax_error_names_its_line() -> None:
    text = edit("text: 您满意吗？", "text: [您满意吗？")
    [(line, code)] = problems_of(text)
    assert code == "yaml_syntax"
    assert line >= line_of(text, "[您满意吗？")


def test_duplicate_question_id() -> None:
    text = edit("- id: q2", "- id: q1")
    assert problems_of(text) == [(line_of(text, "- id: q1", 2), "duplicate_id")]


def test_duplicate_department_id() -> None:
    text = edit("id: xinhuaqu", "id: sifaju")
    assert problems_of(text) == [(line_of(text, "id: sifaju", 2), "duplicate_id")]


def test_duplicate_option_id_within_a_question() -> None:
    text = edit("{id: none,", "{id: rough,")
    assert problems_of(text) == [(line_of(text, "不存在以上情况"), "duplicate_id")]


def test_duplicate_key_in_a_mapping() -> None:
    text = edit("        text: 是否被检查？", "        text: 是否被检查？\n        text: 又一次？")
    assert problems_of(text) == [(line_of(text, "又一次"), "duplicate_key")]


def test_unknown_question_kind() -> None:
    text = edit("kind: multiple", "kind: ranking")
    assert problems_of(text) == [(line_of(text, "kind: ranking"), "unknown_kind")]


def test_condition_on_unknown_question() -> None:
    text = edit("{question: q1,", "{question: q9,")
    assert problems_of(text) == [(line_of(text, "question: q9"), "condition_unknown_question")]


def test_condition_on_unknown_option() -> None:
    text = edit("any_of: [rough]", "any_of: [polite]")
    assert problems_of(text) == [(line_of(text, "polite"), "condition_unknown_option")]


def test_condition_on_a_later_question() -> None:
    text = edit("{question: q1,", "{question: q3,")
    text = text.replace("any_of: [rough]", 'any_of: ["yes"]')
    assert problems_of(text) == [(line_of(text, "question: q3"), "condition_not_earlier")]


def test_exclusive_option_on_a_single_choice() -> None:
    text = edit("        kind: multiple\n", "")
    assert problems_of(text) == [(line_of(text, "exclusive: true"), "exclusive_on_single")]


def test_missing_and_empty_texts() -> None:
    text = edit("        text: 是否被检查？\n", "")
    assert problems_of(text) == [(line_of(text, "- id: q3"), "missing_key")]
    text = edit("text: 满意,", 'text: "",')
    assert problems_of(text) == [(line_of(text, 'text: ""'), "empty_text")]
    text = edit("title: 一、必答项", "title: '   '")
    assert problems_of(text) == [(line_of(text, "title: '   '"), "empty_text")]


ZONE = "timezone: Asia/Shanghai"


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("valence: favourable, score: 100", "valence: good, score: 100", "bad_valence"),
        ("score: 100", "score: 150", "bad_score"),
        ("score: 100", "score: high", "bad_score"),
        ("valence: neutral}", "valence: neutral, score: 50}", "score_on_neutral"),
        ("exclusive: true", "exclusive: yes please", "bad_flag"),
    ],
)
def test_bad_scoring_values(old: str, new: str, code: str) -> None:
    text = edit(old, new)
    assert problems_of(text) == [(line_of(text, new), code)]


@pytest.mark.parametrize("bad_id", ["司法局", "Si-Fa", "si_fa", "-sifa", "sifa-", "a" * 41])
def test_department_id_must_be_url_safe(bad_id: str) -> None:
    text = edit("id: sifaju", f"id: {bad_id}")
    assert problems_of(text) == [(line_of(text, f"id: {bad_id}"), "bad_id")]


def test_unquoted_yes_is_explained() -> None:
    text = edit('{id: "yes",', "{id: yes,")
    [(line, code)] = problems_of(text)
    assert (line, code) == (line_of(text, "{id: yes,"), "id_not_text")
    _, problems = check_text(text)
    assert '"yes"' in problems[0].message


def test_unknown_key_catches_typos() -> None:
    text = edit("        options: yes_no", "        optoins: yes_no")
    assert problems_of(text) == [
        (line_of(text, "- id: q3"), "missing_key"),
        (line_of(text, "optoins"), "unknown_key"),
    ]


def test_unknown_option_set_and_too_few_options() -> None:
    text = edit("options: yes_no", "options: yes_maybe")
    assert problems_of(text) == [(line_of(text, "yes_maybe"), "unknown_option_set")]
    text = edit("          - {id: unknown, text: 不了解, valence: neutral}\n", "")
    assert problems_of(text) == [(line_of(text, "- id: q2") + 4, "too_few_options")]


def test_question_id_may_not_shadow_a_submission_field() -> None:
    text = edit("- id: q3", "- id: channel")
    assert problems_of(text) == [(line_of(text, "- id: channel"), "reserved_id")]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("close_day: 27", "close_day: 28", "bad_close_day"),
        ("coverage_target: 0.9", "coverage_target: 90", "bad_coverage_target"),
        ("timezone: Asia/Shanghai", "timezone: Asia/Beijing", "bad_timezone"),
        (ZONE, f"{ZONE}, min_sample: 0", "bad_min_sample"),
        (ZONE, f"{ZONE}, min_sample: 2.5", "bad_min_sample"),
        (ZONE, f"{ZONE}, alert_days: [10, 28]", "bad_alert_days"),
        (ZONE, f"{ZONE}, alert_days: 10", "bad_alert_days"),
        ("kind: county", "kind: province", "bad_department_kind"),
        ("name: 宣传彩页二维码}", "name: 宣传彩页二维码, entry: clerk}", "bad_entry"),
        ("complaint_phone: 0375-1234567", "complaint_phone: call us", "bad_phone"),
        ("number: 2", "number: 1", "duplicate_number"),
        ("number: 2", "number: two", "bad_number"),
    ],
)
def test_bad_settings(old: str, new: str, code: str) -> None:
    text = edit(old, new)
    assert problems_of(text) == [(line_of(text, new, text.count(new)), code)]


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = edit("- id: q2", "- id: q1")
    text = _replace_nth(text, "kind: county", "kind: province", 1)
    text = _replace_nth(text, "score: 100", "score: -1", 1)
    assert problems_of(text) == [
        (line_of(text, "- id: q1", 2), "duplicate_id"),
        (line_of(text, "score: -1"), "bad_score"),
        (line_of(text, "kind: province"), "bad_department_kind"),
    ]


def test_not_a_mapping_and_empty_file() -> None:
    assert problems_of("- just\n- a list\n") == [(1, "not_a_mapping")]
    assert problems_of("") == [(1, "not_a_mapping")]


def test_load_questionnaire_raises_with_every_problem(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "q.yaml"
    path.write_text(edit("- id: q2", "- id: q1"), encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_questionnaire(path)
    assert [p.code for p in raised.value.problems] == ["duplicate_id"]
    assert f"{path}:" in str(raised.value)


@pytest.mark.parametrize("page", ["thanks", "print"])
def test_a_channel_may_not_take_the_name_of_a_department_page(page: str) -> None:
    text = edit("{id: leaflet, name: 宣传彩页二维码}", f"{{id: {page}, name: 宣传彩页二维码}}")
    assert problems_of(text) == [(line_of(text, f"id: {page}"), "reserved_channel_id")]


def test_a_channel_says_who_fills_it_in_and_self_is_the_default() -> None:
    phone = "  - {id: phone, name: 电话回访, entry: staff}\n"
    questionnaire = check_text(edit("reporting:", phone + "reporting:"))[0]
    assert questionnaire is not None
    assert [(c.id, c.entry) for c in questionnaire.channels] == [
        ("leaflet", "self"),
        ("phone", "staff"),
    ]
