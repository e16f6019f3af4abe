"""Where complaints are kept and what seals them: the DynamoDB table and KMS in AWS, the data
folder and a key file on one machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # the crypto is imported where a sealer is made, not with this module
    from manyi.sealing import Sealer
    from manyi.store.complaints.base import ComplaintStore


class ComplaintSources(NamedTuple):
    """The complaints store, and the sealer of names and phones (None: no key configured, so a
    complaint with contact details cannot be taken, nor any opened)."""

    store: ComplaintStore
    sealer: Sealer | None


def aws_complaint_sources(dynamodb: Any | None = None, kms: Any | None = None) -> ComplaintSources:
    """The table and key the deployment names (COMPLAINTS_TABLE, COMPLAINTS_KEY_ID)."""
    table = os.environ["COMPLAINTS_TABLE"]
    from manyi.complaints.model import SEALED_KIND
    from manyi.sealing import KmsWrapper, Sealer
    from manyi.store.complaints.dynamodb import DynamoDBComplaintStore

    key = os.environ.get("COMPLAINTS_KEY_ID", "")
    sealer = Sealer(KmsWrapper(key, kms), SEALED_KIND) if key else None
    return ComplaintSources(DynamoDBComplaintStore(table, dynamodb), sealer)


def local_complaint_sources(data: Path, key_file: Path | None) -> ComplaintSources:
    """`<data>/complaints.sqlite3`, sealed with the key file of `manyi key create` if given
    (SealingError says what is wrong with it)."""
    from manyi.complaints.model import SEALED_KIND
    from manyi.sealing import Sealer, read_key_file
    from manyi.store.complaints.sqlite import SQLiteComplaintStore

    sealer = Sealer(read_key_file(key_file), SEALED_KIND) if key_file is not None else None
    return ComplaintSources(SQLiteComplaintStore.in_folder(data), sealer)
