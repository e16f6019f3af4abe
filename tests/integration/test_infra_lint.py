"""The template passes cfn-lint in every region it is meant for; `make lint` runs both linters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cfn import TEMPLATE_PATH, load_template

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("region", ["ap-southeast-1", "us-east-1"])
def test_cfn_lint_finds_nothing(region: str) -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=[region]))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("ap-east-1", "aws"),
        ("ap-southeast-1", "aws"),
    ],
)
def test_cfn_lint_finds_nothing_in_what_manyi_deploy_sends(
    tmp_path: Path, region: str, partition: str
) -> None:
    """The China regions lack origin access control, Hong Kong budgets: `manyi deploy` leaves
    out what a region lacks."""
    from cfnlint.api import ManualArgs, lint_file

    from manyi.deploy.partition import for_partition
    from manyi.deploy.stack import CodeLocation, deployable_template, template_body

    sent = deployable_template(
        for_partition(load_template(), partition, region), CodeLocation("bucket", "manyi/x.zip")
    )
    path = tmp_path / "template.json"
    path.write_text(template_body(sent), encoding="utf-8")
    matches = lint_file(path, config=ManualArgs(regions=[region]))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize(
    ("region", "missing"),
    [("cn-north-1", "OriginAccessControl"), ("ap-east-1", "AWS::Budgets::Budget")],
)
def test_the_source_template_alone_would_be_refused_where_a_type_is_missing(
    region: str, missing: str
) -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=[region]))
    assert [m.rule.id for m in matches] == ["E3006"]
    assert missing in str(matches[0])


def test_make_lint_runs_cfn_lint_and_checkov_from_its_own_virtualenv() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "cfn-lint infra/template.yaml" in lint
    assert "$(CHECKOV) --file infra/template.yaml" in lint
    assert "CHECKOV ?= .tools/checkov/bin/checkov" in makefile
    assert re.search(r"^test: setup lint$", makefile, re.MULTILINE)
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "python3 -m venv .tools/checkov" in setup
    assert '"checkov==$CHECKOV_VERSION"' in setup
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
