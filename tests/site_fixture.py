"""A small questionnaire for site tests: every feature of the real one, few enough to read."""

from __future__ import annotations

from pathlib import Path

from manyi.loader import check_text
from manyi.model import Questionnaire

BASE_URL = "https://example.test"

MINI_YAML = """\
title: 依法行政调查问卷
source: 测试用问卷
office: {name: 测试市法治政府建设领导小组办公室, phone: 0375-2663225, email: office@example.test}
department_slots: [该地区（部门）, (地区/部门)]
channels:
  - {id: leaflet, name: 宣传彩页二维码}
  - {id: phone, name: 电话回访}
reporting: {coverage_target: 0.9, close_day: 27, timezone: Asia/Shanghai}
sections:
  - id: respondent
    title: 答题人身份
    added: true
    questions:
      - id: respondent
        added: true
        text: 请问您以什么身份填写本问卷？
        options:
          - {id: person, text: 个人, valence: neutral}
          - {id: private, text: 民营企业, valence: neutral}
  - id: required
    title: 一、必答项
    questions:
      - id: q1
        number: 1
        kind: multiple
        text: "请问今年以来你到    (地区/部门)办事，是否遇到以下情况？"
        options:
          - {id: unlawful_procedure, text: 不按法定程序办事, valence: unfavourable}
          - {id: none, text: 不存在以上情况, valence: favourable, exclusive: true}
      - id: q2
        number: 2
        text: 请问自今年以来，你单位是否被该地区（部门）执法检查？
        options:
          - {id: "yes", text: 是, valence: neutral}
          - {id: "no", text: 否, valence: neutral}
      - id: q3
        number: 3
        kind: multiple
        when: {question: q2, any_of: ["yes"]}
        text: 该地区（部门）执法时是否存在以下情况?
        options:
          - {id: rough, text: 执法简单粗暴, valence: unfavourable}
          - {id: none, text: 不存在以上情况, valence: favourable, exclusive: true}
  - id: private_enterprise
    title: 二、如果你所在的单位是民营企业，请回答以下问题。
    when: {question: respondent, any_of: [private]}
    questions:
      - id: p1
        number: 1
        text: 请问该地区（部门）是否干预企业依法自主经营？
        options:
          - {id: "yes", text: 是, valence: unfavourable}
          - {id: "no", text: 否, valence: favourable}
departments:
  - {id: sifaju, name: 测试市司法局, kind: city_department}
  - {id: xinhuaqu, name: 新华区, kind: county, complaint_phone: 0375-1234567}
"""


def mini_questionnaire(text: str = MINI_YAML) -> Questionnaire:
    questionnaire, problems = check_text(text, "mini.yaml")
    assert questionnaire is not None, problems
    return questionnaire


def write_mini(folder: Path, text: str = MINI_YAML) -> Path:
    path = folder / "questionnaire.yaml"
    path.write_text(text, encoding="utf-8")
    return path
