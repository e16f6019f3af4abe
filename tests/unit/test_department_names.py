"""Finding a department as clerks write it, and saying so when a text could mean several."""

from __future__ import annotations

import pytest

from manyi.department_names import DepartmentNotFound, find_department
from manyi.model import Questionnaire


@pytest.mark.parametrize(
    ("text", "department", "exact"),
    [
        ("gonganju", "gonganju", True),
        ("GongAnJu", "gonganju", True),
        ("平顶山市公安局", "gonganju", True),
        (" 平顶山市 公安局\u3000", "gonganju", True),
        ("公安局", "gonganju", False),
        ("市公安局", "gonganju", False),
        ("平顶山公安局", "gonganju", False),
        ("市场监管局", "shichangjianguanju", False),
        ("人社局", "renshiju", False),
        ("发改委", "fazhangaigewei", False),
        ("住建局", "zhujianju", False),
        ("卫健委", "weijianwei", False),
        ("城管局", "chengguanju", False),
        ("人防办", "renfangban", False),
        ("叶县", "yexian", True),
        ("平顶山市新华区", "xinhuaqu", False),
        ("ｓｉｆａｊｕ", "sifaju", True),
        ("公安", "gonganju", False),
    ],
)
def test_names_as_clerks_write_them(
    questionnaire: Questionnaire, text: str, department: str, exact: bool
) -> None:
    found = find_department(questionnaire, text)
    assert (found.department.id, found.exact) == (department, exact)


def test_an_ambiguous_name_names_every_candidate(questionnaire: Questionnaire) -> None:
    with pytest.raises(DepartmentNotFound) as error:
        find_department(questionnaire, "管理局")
    message = str(error.value)
    for name in ("平顶山市市场监督管理局", "平顶山市城市管理局", "平顶山市应急管理局"):
        assert name in message
    assert "请写部门全称或部门编号" in message


@pytest.mark.parametrize("text", ["林业局", "局", "", "交警支队", "sifaju2"])
def test_an_unknown_name_says_what_to_write(questionnaire: Questionnaire, text: str) -> None:
    with pytest.raises(DepartmentNotFound, match=f"没有找到部门“{text}”"):
        find_department(questionnaire, text)


def test_every_department_is_found_by_its_name_with_or_without_the_city(
    questionnaire: Questionnaire,
) -> None:
    for department in questionnaire.departments:
        assert find_department(questionnaire, department.name).department == department
        short = department.name.removeprefix("平顶山市")
        assert find_department(questionnaire, short).department == department
