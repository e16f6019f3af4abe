"""What a partition decides is decided before CloudFormation sees the template."""

from __future__ import annotations

import json
from typing import Any

import pytest

from manyi.deploy.partition import for_partition, known_conditions
from tests.cfn import load_template, loads_template

SMALL = """
Parameters:
  Cdn: {Type: String}
Conditions:
  IsChina: !Equals [!Ref AWS::Partition, aws-cn]
  UseCdn: !Equals [!Ref Cdn, yes]
  Global: !And [!Condition UseCdn, !Not [!Condition IsChina]]
  China: !And [!Condition UseCdn, !Condition IsChina]
  Either: !Or [!Condition IsChina, !Condition UseCdn]
Resources:
  GlobalOnly:
    Type: AWS::CloudFront::OriginAccessControl
    Condition: Global
  ChinaOnly:
    Type: AWS::CloudFront::CloudFrontOriginAccessIdentity
    Condition: China
  Bucket:
    Type: AWS::S3::Bucket
    Condition: Either
    Properties:
      Tags:
        - !If [IsChina, {Key: region, Value: cn}, !Ref AWS::NoValue]
        - {Key: project, Value: manyi}
      Access: !If [Global, !GetAtt GlobalOnly.Id, !Ref AWS::NoValue]
      Identity: !If [China, !Ref ChinaOnly, ""]
Outputs:
  Control:
    Condition: Global
    Value: !GetAtt GlobalOnly.Id
"""


def test_known_conditions_are_those_the_partition_alone_decides() -> None:
    conditions = loads_template(SMALL)["Conditions"]
    assert known_conditions(conditions, "aws-cn") == {
        "IsChina": True,
        "Global": False,
        "Either": True,
    }
    assert known_conditions(conditions, "aws") == {"IsChina": False, "China": False}


def test_china_loses_what_only_the_global_partition_has() -> None:
    china = for_partition(loads_template(SMALL), "aws-cn")
    assert set(china["Resources"]) == {"ChinaOnly", "Bucket"}
    bucket = china["Resources"]["Bucket"]
    assert "Condition" not in bucket  # always true in China
    assert bucket["Properties"] == {
        "Tags": [{"Key": "region", "Value": "cn"}, {"Key": "project", "Value": "manyi"}],
        "Identity": {"Fn::If": ["China", {"Ref": "ChinaOnly"}, ""]},
    }
    assert china["Outputs"] == {}
    # Still needed by China, which depends on a parameter; Global and Either are gone.
    assert set(china["Conditions"]) == {"IsChina", "UseCdn", "China"}


def test_the_global_partition_loses_what_only_china_has() -> None:
    world = for_partition(loads_template(SMALL), "aws")
    assert set(world["Resources"]) == {"GlobalOnly", "Bucket"}
    properties = world["Resources"]["Bucket"]["Properties"]
    assert properties["Tags"] == [{"Key": "project", "Value": "manyi"}]
    assert properties["Identity"] == ""
    assert world["Resources"]["Bucket"]["Condition"] == "Either"


def names_in(value: Any) -> str:
    return json.dumps(value)


@pytest.mark.slow
def test_the_real_template_names_no_origin_access_control_in_china() -> None:
    template = load_template()
    china = for_partition(template, "aws-cn")
    assert "SiteOriginAccessControl" not in names_in(china)
    assert "SiteOriginAccessIdentity" in china["Resources"]
    world = for_partition(template, "aws")
    assert "SiteOriginAccessIdentity" not in names_in(world)
    assert "SiteOriginAccessControl" in world["Resources"]
    # Nothing else changes: the same resources but those the partition lacks or never uses.
    policies = {
        "SiteOriginAccessControl",
        "SecurityHeaders",
        "ApiOriginRequests",
        "WorkspaceOriginRequests",
    }
    assert set(template["Resources"]) - set(china["Resources"]) == policies
    watch = {"CertificateWatchLogGroup", "CertificateWatchRole", "CertificateWatchFunction"}
    watch |= {"CertificateExpiryAlarm"}
    assert set(template["Resources"]) - set(world["Resources"]) == {
        "SiteOriginAccessIdentity",
        *watch,
    }


@pytest.mark.slow
def test_the_region_decides_too_when_given() -> None:
    conditions = load_template()["Conditions"]
    assert known_conditions(conditions, "aws-cn", "cn-northwest-1")["InNingxia"] is True
    assert known_conditions(conditions, "aws-cn", "cn-north-1")["CopyBackups"] is True
    assert known_conditions(conditions, "aws", "ap-east-1")["BudgetsOffered"] is False
    assert known_conditions(conditions, "aws", "us-east-1")["BudgetsOffered"] is True
    # Without a region, region conditions stay for CloudFormation.
    assert "InNingxia" not in known_conditions(conditions, "aws")
    assert known_conditions(conditions, "aws-cn")["BudgetsOffered"] is True
