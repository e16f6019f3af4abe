"""questionnaire.yaml reproduces the attachment 依法行政调查问卷 verbatim and in order.

The attachment is parsed straight from the notice's text (docs/notice-2020-17.txt, the seed copied
into the repository), so the test does not trust a hand-written expectation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from manyi.model import Questionnaire

NOTICE = Path(__file__).resolve().parents[2] / "docs" / "notice-2020-17.txt"
# A question line ends with the paper's answer box, full- or half-width: "（    ）" or "(    )".
QUESTION_LINE = re.compile(r"^(\d+)\.(.+?)[（(] *[)）]\s*$")
OPTION = re.compile(r"(\d+)\.(\S+)")
SECTION_LINE = re.compile(r"^[一二三四五六七八九十]、")


@dataclass
class PrintedQuestion:
    number: int
    text: str
    options: list[str] = field(default_factory=list)


@dataclass
class PrintedSection:
    title: str
    questions: list[PrintedQuestion] = field(default_factory=list)


def printed_attachment() -> list[PrintedSection]:
    text = NOTICE.read_text(encoding="utf-8")
    body = text[text.rindex("依法行政调查问卷") :]
    sections: list[PrintedSection] = []
    for raw in body.splitlines()[1:]:
        line = raw.rstrip()
        if not line.strip() or "印发" in line:
            continue
        if SECTION_LINE.match(line):
            sections.append(PrintedSection(line))
        elif match := QUESTION_LINE.match(line):
            sections[-1].questions.append(PrintedQuestion(int(match[1]), match[2]))
        else:
            options = OPTION.findall(line)
            assert options, f"unparsed line of the attachment: {line!r}"
            question = sections[-1].questions[-1]
            for number, option_text in options:
                assert int(number) == len(question.options) + 1, line
                question.options.append(option_text)
    return sections


def test_the_parser_sees_the_whole_attachment() -> None:
    printed = printed_attachment()
    assert [len(s.questions) for s in printed] == [16, 5]
    assert (
        sum(len(q.options) for s in printed for q in s.questions)
        == 4 + 2 + 5 + 5 * 2 + 8 * 4 + 5 * 2
    )


def test_every_section_question_and_option_is_verbatim_in_order(
    questionnaire: Questionnaire,
) -> None:
    original_sections = [s for s in questionnaire.sections if not s.added]
    printed = printed_attachment()
    assert [s.title for s in original_sections] == [s.title for s in printed]
    for section, printed_section in zip(original_sections, printed, strict=True):
        questions = [q for q in section.questions if not q.added]
        assert [(q.number, q.text) for q in questions] == [
            (p.number, p.text) for p in printed_section.questions
        ]
        for question, printed_question in zip(questions, printed_section.questions, strict=True):
            assert [o.text for o in question.options] == printed_question.options, question.id


def test_only_the_screening_question_is_added(questionnaire: Questionnaire) -> None:
    added = [q.id for q in questionnaire.questions if q.added]
    assert added == ["respondent"]
    assert [o.text for o in questionnaire.question("respondent").options] == [  # type: ignore[union-attr]
        "个人",
        "民营企业",
        "其他企业或单位",
    ]


def test_the_paper_form_rules_are_modelled(questionnaire: Questionnaire) -> None:
    q = {question.id: question for question in questionnaire.questions}
    for multiple in ("q1", "q3"):
        assert q[multiple].kind == "multiple"
        assert [o.exclusive for o in q[multiple].options][-1] is True
        assert sum(o.exclusive for o in q[multiple].options) == 1
    assert [(c.question, c.any_of) for c in q["q3"].conditions] == [("q2", ("yes",))]
    for question_id in ("p1", "p2", "p3", "p4", "p5"):
        assert [(c.question, c.any_of) for c in q[question_id].conditions] == [
            ("respondent", ("private",))
        ]
    # Valence: 有 is good in Q4, Q6, Q7 and a problem in Q5, Q8; 是 is a problem in section 二.
    favourable_yes = {"q4": True, "q6": True, "q7": True, "q5": False, "q8": False, "p1": False}
    for question_id, good in favourable_yes.items():
        valence = q[question_id].option("yes").valence  # type: ignore[union-attr]
        assert valence == ("favourable" if good else "unfavourable"), question_id
    for number in range(9, 17):
        scale = q[f"q{number}"]
        assert [o.score for o in scale.options] == [100, 80, 0, None]
        assert scale.options[-1].valence == "neutral"


def test_department_slots_are_filled_on_a_departments_page(questionnaire: Questionnaire) -> None:
    department = questionnaire.department("shichangjianguanju")
    assert department is not None
    q1 = questionnaire.text_for(questionnaire.question("q1").text, department)  # type: ignore[union-attr]
    assert q1.startswith("请问今年以来你到平顶山市市场监督管理局办理行政审批")
    for question in questionnaire.questions:
        filled = questionnaire.text_for(question.text, department)
        assert "该地区（部门）" not in filled
        assert "(地区/部门)" not in filled
