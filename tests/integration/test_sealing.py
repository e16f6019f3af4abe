"""Personal fields sealed at rest: round trips, tampering, moved values, key files, KMS (moto)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from manyi.sealing import (
    KmsWrapper,
    SealedRecord,
    Sealer,
    SealingError,
    create_key_file,
    read_key_file,
)

PERSONAL = {"name": "张三", "phone": "13800138000"}


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "personal.key"
    create_key_file(path, data_folder=tmp_path / "data")
    return path


def test_fields_round_trip_and_never_hold_plaintext(key_file: Path) -> None:
    sealer = Sealer(read_key_file(key_file), "complaint")
    record = sealer.seal("2026-sifaju-0001", PERSONAL)
    stored = repr(record)
    assert "张三" not in stored
    assert "13800138000" not in stored
    assert sealer.open("2026-sifaju-0001", record) == PERSONAL


def test_two_seals_of_the_same_value_differ(key_file: Path) -> None:
    sealer = Sealer(read_key_file(key_file), "complaint")
    first = sealer.seal("a", PERSONAL)
    second = sealer.seal("a", PERSONAL)
    assert first.fields["phone"] != second.fields["phone"]


def test_a_field_moved_to_another_record_or_field_does_not_open(key_file: Path) -> None:
    sealer = Sealer(read_key_file(key_file), "complaint")
    one = sealer.seal("one", PERSONAL)
    two = sealer.seal("two", PERSONAL)
    moved = SealedRecord(one.wrapped_key, {"phone": two.fields["phone"]})
    with pytest.raises(SealingError, match="phone"):
        sealer.open("one", moved)
    swapped = SealedRecord(one.wrapped_key, {"name": one.fields["phone"]})
    with pytest.raises(SealingError, match="name"):
        sealer.open("one", swapped)
    with pytest.raises(SealingError):
        sealer.open("two", one)


def test_a_record_of_another_kind_does_not_open(key_file: Path) -> None:
    wrapper = read_key_file(key_file)
    record = Sealer(wrapper, "complaint").seal("x", PERSONAL)
    with pytest.raises(SealingError):
        Sealer(wrapper, "followup").open("x", record)


def test_tampering_is_detected_and_the_error_carries_no_plaintext(key_file: Path) -> None:
    sealer = Sealer(read_key_file(key_file), "complaint")
    record = sealer.seal("x", PERSONAL)
    value = record.fields["name"]
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    with pytest.raises(SealingError) as refused:
        sealer.open("x", SealedRecord(record.wrapped_key, {"name": flipped}))
    assert "张三" not in str(refused.value)
    with pytest.raises(SealingError, match="known format"):
        sealer.open("x", SealedRecord(record.wrapped_key, {"name": "张三"}))


def test_another_key_file_cannot_open(key_file: Path, tmp_path: Path) -> None:
    record = Sealer(read_key_file(key_file), "complaint").seal("x", PERSONAL)
    other = tmp_path / "other.key"
    create_key_file(other)
    with pytest.raises(SealingError, match="key file"):
        Sealer(read_key_file(other), "complaint").open("x", record)


def test_key_file_is_private_never_overwritten_and_never_inside_the_data(
    key_file: Path, tmp_path: Path
) -> None:
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with pytest.raises(SealingError, match="already"):
        create_key_file(key_file)
    with pytest.raises(SealingError, match="outside the data folder"):
        create_key_file(tmp_path / "data" / "k.key", data_folder=tmp_path / "data")


def test_bad_key_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(SealingError, match="cannot read"):
        read_key_file(tmp_path / "missing.key")
    (tmp_path / "bad.key").write_text("not hex")
    with pytest.raises(SealingError, match="manyi key create"):
        read_key_file(tmp_path / "bad.key")
    (tmp_path / "short.key").write_text("00" * 16)
    with pytest.raises(SealingError, match="256-bit"):
        read_key_file(tmp_path / "short.key")


@pytest.fixture
def kms_key() -> Iterator[tuple[str, object]]:
    with mock_aws():
        client = boto3.client("kms", region_name="cn-north-1")
        key_id = client.create_key(Description="manyi personal data")["KeyMetadata"]["KeyId"]
        yield key_id, client


def test_kms_data_keys_round_trip_bound_to_the_record(kms_key: tuple[str, object]) -> None:
    key_id, client = kms_key
    sealer = Sealer(KmsWrapper(key_id, client), "complaint")
    record = sealer.seal("2026-sifaju-0002", PERSONAL)
    assert sealer.open("2026-sifaju-0002", record) == PERSONAL
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        sealer.open("2026-sifaju-0003", record)


def test_manyi_key_create(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from manyi.cli import main

    key = tmp_path / "keys" / "personal.key"
    assert main(["key", "create", "--key-file", str(key), "--data", str(tmp_path / "d")]) == 0
    assert read_key_file(key) is not None
    assert main(["key", "create", "--key-file", str(key), "--data", str(tmp_path / "d")]) == 2
    assert "never overwritten" in capsys.readouterr().err
    inside = tmp_path / "d" / "k.key"
    assert main(["key", "create", "--key-file", str(inside), "--data", str(tmp_path / "d")]) == 2
    assert not inside.exists()
