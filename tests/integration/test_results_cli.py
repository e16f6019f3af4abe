"""The office's commands against a local data folder: served counts, results, report, token."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from manyi.cli import main
from manyi.cli.progress import ProgressBar
from manyi.model import Questionnaire
from manyi.results.office_token import office_token, token_matches
from manyi.store.results.sqlite import SqliteResultsStore
from tests.aws import REGION
from tests.results_aws import FakeAws
from tests.results_data import counted_store, made_up_submissions


@pytest.fixture
def data(questionnaire: Questionnaire, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    counted_store(
        questionnaire, made_up_submissions(questionnaire), str(folder / "results.sqlite3")
    )
    return folder


def test_served_set_then_results_json_shows_coverage(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["served", "set", "sifaju", "40", "--month", "2026-11", "--data", str(data)]) == 0
    assert (
        main(
            ["served", "set", "平顶山市信访局", "1,000", "--month", "2026/11", "--data", str(data)]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["results", "--month", "2026-11", "--format", "json", "--data", str(data)]) == 0
    document = json.loads(capsys.readouterr().out)
    by_id = {d["department"]: d for d in document["departments"]}
    assert by_id["sifaju"]["served"] == 40
    assert by_id["sifaju"]["coverage"] == pytest.approx(by_id["sifaju"]["responses"] / 40, abs=1e-6)
    assert by_id["sifaju"]["below_target"] is True
    assert by_id["xinfangju"]["served"] == 1000
    assert by_id["gonganju"]["coverage"] is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["served", "set", "nowhere", "3", "--month", "2026-11"], "没有找到部门“nowhere”"),
        (["served", "set", "sifaju", "-3", "--month", "2026-11"], "不能为负数"),
        (["served", "set", "sifaju", "2.5", "--month", "2026-11"], "“2.5”不是整数"),
        (["served", "set", "sifaju", "²", "--month", "2026-11"], "“²”不是整数"),
        (["served", "set", "管理局", "3", "--month", "2026-11"], "“管理局”可能是：平顶山市市场"),
        (["results", "--month", "2026-11", "--department", "nowhere"], "没有找到部门“nowhere”"),
        (["results", "--month", "2026-11", "--format", "xlsx"], "needs --out"),
    ],
)
def test_bad_input_gets_a_clear_answer(
    data: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main([*arguments, "--data", str(data)]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_month_is_refused_by_the_parser(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["results", "--month", "2026-13", "--data", str(data)])
    assert "月份“2026-13”不对" in capsys.readouterr().err


def test_served_import_reports_every_bad_row_and_stores_nothing(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "served.csv"
    file.write_text(
        "部门,月份,服务对象总数\n"
        "sifaju,2026-11,30\n"
        "平顶山市公安局,2026年11月,1200\n"
        "nowhere,2026-11,3\n"
        "yexian,2026-13,3\n"
        "jiaxian,2026-11,-4\n"
        "sifaju,2026-11,31\n"
        "\n",
        encoding="utf-8-sig",
    )
    assert main(["served", "import", str(file), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert f"{file}:4: 没有找到部门“nowhere”" in err
    assert f"{file}:5: 月份“2026-13”不对" in err
    assert f"{file}:6: 服务对象总数不能为负数（-4）" in err
    assert f"{file}:7: 平顶山市司法局 2026-11 已在第 2 行填过" in err
    assert "4 处问题，未保存任何数据" in err
    assert SqliteResultsStore.in_folder(data).served("2026-11") == {}


def test_served_import_from_xlsx_with_a_default_month(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["部门名称", "管理和服务对象总数"])
    sheet.append(["平顶山市司法局", 25])
    sheet.append(["gonganju", 80.0])
    path = tmp_path / "served.xlsx"
    book.save(path)
    assert main(["served", "import", str(path), "--month", "2026-11", "--data", str(data)]) == 0
    assert SqliteResultsStore.in_folder(data).served("2026-11") == {"sifaju": 25, "gonganju": 80}
    assert main(["served", "list", "--month", "2026-11", "--data", str(data)]) == 0
    assert "sifaju\t平顶山市司法局\t25" in capsys.readouterr().out


def test_served_zero_and_names_as_clerks_write_them(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["served", "set", "sifaju", "0", "--month", "2026-11", "--data", str(data)]) == 0
    assert main(["served", "set", "公安局", "１２００", "--month", "2026-11",
                 "--data", str(data)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "“公安局”按 平顶山市公安局（gonganju）计" in out
    assert SqliteResultsStore.in_folder(data).served("2026-11") == {"sifaju": 0, "gonganju": 1200}
    assert main(["results", "--month", "2026-11", "--format", "json", "--data", str(data)]) == 0
    sifaju = json.loads(capsys.readouterr().out)["departments"][0]
    # 0 served subjects: set (not "not reported"), and no coverage to divide by.
    assert (sifaju["served"], sifaju["coverage"], sifaju["below_target"]) == (0, None, None)


def test_served_import_of_an_xlsx_as_a_clerk_makes_it(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["2026年11月各单位管理和服务对象总数统计表"])
    sheet.append(["填报单位：平顶山市法治政府建设领导小组办公室", None, None, None])
    sheet.append(["序号", "单位名称", "统计月份", "管理和服务对象总数（人）"])
    sheet.append([1, "司法局", "2026年11月", 30])
    sheet.append([2, "市公安局", "2026-11", "1,200"])
    sheet.append([3, "市场监管局", "２０２６-１１", 0])
    sheet.append([4, "平顶山市信访局", None, 12])
    sheet.append([None, "合计", None, 1242])
    path = tmp_path / "served.xlsx"
    book.save(path)
    assert main(["served", "import", str(path), "--month", "2026-11", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:4: “司法局”按 平顶山市司法局（sifaju）计" in out
    assert f"{path}:6: “市场监管局”按 平顶山市市场监督管理局（shichangjianguanju）计" in out
    assert SqliteResultsStore.in_folder(data).served("2026-11") == {
        "sifaju": 30,
        "gonganju": 1200,
        "shichangjianguanju": 0,
        "xinfangju": 12,
    }


def test_served_import_names_an_ambiguous_department(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "served.csv"
    file.write_text("单位名称,服务对象总数\n管理局,3\n", encoding="utf-8")
    assert main(["served", "import", str(file), "--month", "2026-11", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert (
        f"{file}:2: “管理局”可能是：平顶山市市场监督管理局、平顶山市城市管理局、平顶山市应急管理局"
        in err
    )
    assert SqliteResultsStore.in_folder(data).served("2026-11") == {}


def test_served_import_without_a_usable_header(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "served.csv"
    file.write_text("name,number\nsifaju,3\n", encoding="utf-8")
    assert main(["served", "import", str(file), "--data", str(data)]) == 2
    assert f"{file}:1: 前 10 行中没有找到表头" in capsys.readouterr().err


@pytest.mark.slow
def test_results_table_csv_and_xlsx(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], questionnaire: Questionnaire
) -> None:
    assert main(["results", "--month", "2026-11", "--data", str(data)]) == 0
    table = capsys.readouterr().out
    assert "平顶山市司法局" in table
    assert "全市：有效问卷" in table
    assert main(["results", "--month", "2026-11", "--format", "csv", "--department", "sifaju",
                 "--data", str(data)]) == 0  # fmt: skip
    lines = capsys.readouterr().out.lstrip("\ufeff").splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("sifaju,平顶山市司法局")
    out = tmp_path / "r.xlsx"
    assert main(["results", "--month", "2026-11", "--format", "xlsx", "--out", str(out),
                 "--data", str(data)]) == 0  # fmt: skip
    assert load_workbook(out).sheetnames[0] == "全市汇总"


def test_department_really_filters_every_format(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sifaju.xlsx"
    assert main(["results", "--month", "2026-11", "--format", "xlsx", "--department", "司法局",
                 "--out", str(out), "--data", str(data)]) == 0  # fmt: skip
    book = load_workbook(out)
    assert book.sheetnames == ["全市汇总", "平顶山市司法局"]
    ids = [row[0] for row in book["全市汇总"].iter_rows(values_only=True)]
    assert "sifaju" in ids
    assert not {"gonganju", "xinfangju", "yexian"} & set(ids)
    assert main(["results", "--month", "2026-11", "--format", "json", "--department", "sifaju",
                 "--data", str(data)]) == 0  # fmt: skip
    document = json.loads(capsys.readouterr().out)
    assert [d["department"] for d in document["departments"]] == ["sifaju"]
    for ranking in document["rankings"].values():
        assert [r["department"] for r in ranking] == ["sifaju"]
    assert set(document["city"]["departments_without_served"]) <= {"sifaju"}
    assert document["city"]["responses"] > document["departments"][0]["responses"]  # the city's


@pytest.mark.slow
def test_report_writes_the_html_and_data_files(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main(["report", "--month", "2026-11", "--out", str(out), "--data", str(data)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["options.csv", "report.html", "results.json", "results.xlsx", "summary.csv"]
    assert "<svg" in (out / "report.html").read_text(encoding="utf-8")


def test_the_office_token_is_made_once_private_and_replaceable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["token", "--data", str(data)]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40
    assert office_token(data) == token
    assert stat.S_IMODE(os.stat(data / "office-token").st_mode) == 0o600
    assert token_matches(data, token)
    assert not token_matches(data, token[:-1] + "x")
    assert not token_matches(data, None)
    assert main(["token", "--new", "--data", str(data)]) == 0
    assert capsys.readouterr().out.strip() != token


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    terminal = _Terminal()
    bar = ProgressBar(terminal, min_interval=0)
    for done in range(4):
        bar(done, 3, f"2026-11 department {done}")
    assert "[" + "#" * 30 + "] 3/3" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")
    piped = io.StringIO()
    ProgressBar(piped, min_interval=0)(1, 3, "x")
    assert piped.getvalue() == ""


@pytest.mark.parametrize("command", ["aggregate", "results", "report", "served"])
def test_aws_without_table_names_is_a_clear_exit_2(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SUBMISSIONS_TABLE", "RESULTS_TABLE", "REPORTS_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    arguments = {
        "aggregate": ["aggregate", "--month", "2026-11"],
        "results": ["results", "--month", "2026-11"],
        "report": ["report", "--month", "2026-11", "--out", "unused"],
        "served": ["served", "list", "--month", "2026-11"],
    }[command]
    assert main([*arguments, "--aws"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"manyi {command}: --aws needs ")


def test_an_import_of_more_than_100_rows_in_aws_is_stored_whole(
    fake_aws: FakeAws, tmp_path: Path, questionnaire: Questionnaire
) -> None:
    months = ("2026-09", "2026-10", "2026-11")
    rows = [
        f"{d.name},{m},{i + 1}" for m in months for i, d in enumerate(questionnaire.departments)
    ]
    assert len(rows) > 100  # more than one DynamoDB transaction of single items could hold
    file = tmp_path / "served.csv"
    file.write_text("单位名称,月份,服务对象总数\n" + "\n".join(rows) + "\n", encoding="utf-8")
    aws = ["--aws", "--results-table", fake_aws.names.results_table, "--region", REGION]
    assert main(["served", "import", str(file), *aws]) == 0
    store = fake_aws.backend().results
    for month in months:
        assert len(store.served(month)) == len(questionnaire.departments)
