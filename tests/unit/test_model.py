"""The model: its normalized form round-trips, and the version follows the content only."""

from __future__ import annotations

import json

from manyi.model import (
    OPERATIONAL_REPORTING,
    Questionnaire,
    content_version,
    normalized_with_version,
)


def test_normalized_form_round_trips_through_json(questionnaire: Questionnaire) -> None:
    shipped = json.loads(json.dumps(questionnaire.to_dict(), ensure_ascii=False))
    assert Questionnaire.from_dict(shipped) == questionnaire


def test_version_is_the_hash_of_the_content(questionnaire: Questionnaire) -> None:
    data = questionnaire.to_dict()
    content = {
        k: v
        for k, v in data.items()
        if k not in ("version", "departments", "complaints", "followup")
    }
    for operational in OPERATIONAL_REPORTING:
        del content["reporting"][operational]
    assert questionnaire.version == content_version(content)
    assert len(questionnaire.version) == 12


def test_complaint_settings_are_operational_and_old_versions_take_the_defaults(
    questionnaire: Questionnaire,
) -> None:
    data = questionnaire.to_dict()
    del data["version"]
    data["complaints"] = {**data["complaints"], "accept_days": 7}
    assert normalized_with_version(data)["version"] == questionnaire.version
    old = questionnaire.to_dict()
    del old["complaints"]  # a version file written before complaints existed
    assert Questionnaire.from_dict(old).complaints.accept_days == 5


def test_the_followup_section_changes_neither_the_survey_version_nor_is_lost(
    questionnaire: Questionnaire,
) -> None:
    assert questionnaire.followup is not None
    data = questionnaire.to_dict()
    del data["version"]
    data["followup"]["rates"]["penalty_summary"] = 0.1
    data["followup"]["form"]["section"]["questions"][0]["text"] += "？"
    assert normalized_with_version(data)["version"] == questionnaire.version
    without = {k: v for k, v in questionnaire.to_dict().items() if k != "followup"}
    assert Questionnaire.from_dict(without).followup is None


def test_version_ignores_departments_but_not_texts(questionnaire: Questionnaire) -> None:
    # Stamped as the loader stamps it, from the normalized form with departments in it.
    data = questionnaire.to_dict()
    del data["version"]
    data["departments"] = data["departments"][:1]
    assert normalized_with_version(data)["version"] == questionnaire.version
    data["departments"][0]["name"] += "（新）"
    assert normalized_with_version(data)["version"] == questionnaire.version
    data["reporting"]["min_sample"] = 5  # operational: how results are read
    data["reporting"]["alert_days"] = [15]
    assert normalized_with_version(data)["version"] == questionnaire.version
    data["reporting"]["coverage_target"] = 0.8
    assert normalized_with_version(data)["version"] != questionnaire.version
    data["reporting"]["coverage_target"] = questionnaire.reporting.coverage_target
    data["sections"][1]["questions"][0]["text"] += "？"
    assert normalized_with_version(data)["version"] != questionnaire.version


def test_department_lookup(questionnaire: Questionnaire) -> None:
    ids = [d.id for d in questionnaire.departments]
    assert len(ids) == len(set(ids))
    for required in ("sifaju", "xinfangju", "shichangjianguanju", "shifanqu", "gaoxinqu"):
        assert questionnaire.department(required) is not None
    assert questionnaire.department("nowhere") is None
    counties = [d for d in questionnaire.departments if d.kind == "county"]
    assert len(counties) == 12  # 4 districts, 4 counties, 2 county-level cities, 2 zones


def test_a_version_file_from_before_the_operational_settings_loads_with_defaults(
    questionnaire: Questionnaire,
) -> None:
    data = questionnaire.to_dict()
    for operational in OPERATIONAL_REPORTING:
        del data["reporting"][operational]
    old = Questionnaire.from_dict(data)
    assert old.reporting.min_sample == 30
    assert old.reporting.alert_days == (10, 20)
