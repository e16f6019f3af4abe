"""Hostile or broken YAML: every case a `file:line: problem`, never a traceback, quickly.

No timing assertions (bench/ measures speed); the limits themselves bound time and memory: a
bomb stops at MAX_VALUES conversions, a deep file at MAX_DEPTH levels, a long one before parsing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from manyi.cli import main
from manyi.loader import check_file, check_text
from manyi.yaml_source import MAX_CHARACTERS, MAX_DEPTH, MAX_VALUES

# Nine references to the level above, nine times: 9**9 (387 million) values from 400 bytes.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)

HOSTILE = {
    "alias_bomb": (ALIAS_BOMB, "too_many_values"),
    "recursive_sequence": ("title: x\nloop: &a [1, *a]\n", "recursive_alias"),
    "recursive_mapping": ("title: x\nloop: &a\n  again: *a\n", "recursive_alias"),
    "deep_flow_list": ("title: x\ndeep: " + "[" * 5000 + "]" * 5000 + "\n", "too_deep"),
    "deep_flow_mapping": ("title: x\ndeep: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "too_deep"),
    "deep_block_list": (
        "title: x\ndeep:\n" + "".join("  " * i + "-\n" for i in range(45)),
        "too_deep",
    ),
    "long_number": ("title: x\nsource: " + "7" * 5000 + "\n", "bad_value"),
    "thirteenth_month": ("title: x\nsource: 2026-13-01\n", "bad_value"),
    "too_long": ("title: x\n" + "#" * MAX_CHARACTERS + "\n", "too_large"),
}
LINE = {"too_long": 0, "alias_bomb": None, "deep_block_list": None}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_yaml_is_a_problem_at_its_line(name: str) -> None:
    text, code = HOSTILE[name]
    questionnaire, problems = check_text(text, "q.yaml")
    assert questionnaire is None
    assert code in [p.code for p in problems]
    problem = next(p for p in problems if p.code == code)
    expected = LINE.get(name, 2)
    if expected is not None:
        assert problem.line == expected, problem
    assert str(problem).startswith(f"q.yaml:{problem.line}: {code}: ")


def test_the_limits_leave_room_for_a_city_of_a_thousand_departments() -> None:
    real = (Path(__file__).resolve().parents[2] / "questionnaire.yaml").read_text(encoding="utf-8")
    departments = "".join(
        f"  - {{id: dept-{i:04d}, name: 平顶山市某某局{i}, kind: city_department}}\n"
        for i in range(1000)
    )
    text = real.rstrip("\n") + "\n" + departments
    assert len(text) < MAX_CHARACTERS / 2
    questionnaire, problems = check_text(text)
    assert problems == []
    assert questionnaire is not None
    assert len(questionnaire.departments) > 1000
    assert MAX_DEPTH >= 10
    assert MAX_VALUES >= 20 * 1000


def test_the_bomb_stops_at_the_limit_not_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[int] = []
    from manyi import yaml_source

    original = yaml_source._Converter.value

    def counting(self: yaml_source._Converter, node: object) -> object:
        converted.append(1)
        return original(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(yaml_source._Converter, "value", counting)
    check_text(ALIAS_BOMB)
    assert len(converted) == MAX_VALUES + 1


def test_a_huge_file_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "questionnaire.yaml"
    with path.open("wb") as out:
        out.write(b"title: x\n")
        out.truncate(50 * MAX_CHARACTERS)  # sparse: 12 MB of zero bytes
    questionnaire, problems = check_file(path)
    assert questionnaire is None
    assert [(p.line, p.code) for p in problems] == [(0, "too_large")]


@pytest.mark.parametrize(
    "name", ["alias_bomb", "recursive_mapping", "deep_flow_list", "long_number"]
)
def test_manyi_check_answers_file_line_problem_and_exits_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "questionnaire.yaml"
    path.write_text(HOSTILE[name][0], encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err
    assert HOSTILE[name][1] in err
    assert "Traceback" not in err
