"""Backups around the stack: the copy vault in the other China region, and getting data back.

The template's AWS Backup plan copies each daily recovery point to a vault in the other China
region, which must exist before the plan runs and which no stack in this region can create:
`manyi deploy` makes it. Copies of DynamoDB backups across regions need AWS Backup's own
management of DynamoDB ("advanced features"), which `manyi deploy` turns on in the region.

A restore (from point-in-time recovery or from a recovery point) always makes a new table,
which the stack does not use. `copy_back` puts its items into the stack's table: by default
only those the table lacks, so responses received since the restore point stay, and running
it twice changes nothing (every submission is stored once). Then `manyi aggregate --aws
--verify` recounts the months concerned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from manyi.errors import ManyiError

# The other China region: where each region's backups are copied.
COPY_REGIONS = {"cn-north-1": "cn-northwest-1", "cn-northwest-1": "cn-north-1"}
POLL_SECONDS = 10.0


class BackupError(ManyiError):
    """A backup or restore step failed; the message says what to do."""


class CopyBack(NamedTuple):
    copied: int  # items the table lacked, now put
    kept: int  # items the table already had, left as they are


def copy_vault_name(stack: str) -> str:
    """The vault the template's copy action names (BackupPlan, CopyActions)."""
    return f"manyi-{stack}-copies"


def copy_region(region: str) -> str | None:
    return COPY_REGIONS.get(region)


def ensure_copy_vault(backup: Any, stack: str) -> bool:
    """Create the copy vault in `backup`'s region unless it exists; True if created."""
    from botocore.exceptions import ClientError

    name = copy_vault_name(stack)
    try:
        backup.describe_backup_vault(BackupVaultName=name)
        return False
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code not in ("ResourceNotFoundException", "AccessDeniedException"):
            raise
        if code == "AccessDeniedException":
            raise BackupError(
                f"cannot read the backup vault {name}: allow backup:DescribeBackupVault and "
                "backup:CreateBackupVault in the other China region"
            ) from None
    backup.create_backup_vault(
        BackupVaultName=name, BackupVaultTags={"project": "manyi", "stack": stack}
    )
    return True


def manage_dynamodb_backups(backup: Any) -> bool:
    """Let AWS Backup manage DynamoDB backups in the region (needed to copy them across
    regions); True if it was off."""
    settings = backup.describe_region_settings()
    managed = settings.get("ResourceTypeManagementPreference", {}).get("DynamoDB")
    opted_in = settings.get("ResourceTypeOptInPreference", {}).get("DynamoDB")
    if managed and opted_in:
        return False
    backup.update_region_settings(
        ResourceTypeOptInPreference={"DynamoDB": True},
        ResourceTypeManagementPreference={"DynamoDB": True},
    )
    return True


def restore_to_point_in_time(
    dynamodb: Any,
    table: str,
    restored: str,
    when: datetime | None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Make `restored`, a new table holding `table` as it was at `when` (else the latest)."""
    point: dict[str, Any] = (
        {"RestoreDateTime": when} if when is not None else {"UseLatestRestorableTime": True}
    )
    dynamodb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=restored, **point
    )
    while True:
        status = dynamodb.describe_table(TableName=restored)["Table"]["TableStatus"]
        if status == "ACTIVE":
            return
        if status not in ("CREATING", "UPDATING"):
            raise BackupError(f"the restored table {restored} is {status}")
        sleep(POLL_SECONDS)


def copy_back(dynamodb: Any, source: str, target: str, *, overwrite: bool = False) -> CopyBack:
    """Put every item of `source` into `target`; without `overwrite`, only the missing ones."""
    from botocore.exceptions import ClientError

    copied = kept = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=source, ConsistentRead=True):
        for item in page.get("Items", []):
            condition = {} if overwrite else {"ConditionExpression": "attribute_not_exists(pk)"}
            try:
                dynamodb.put_item(TableName=target, Item=item, **condition)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != (
                    "ConditionalCheckFailedException"
                ):
                    raise
                kept += 1
                continue
            copied += 1
    return CopyBack(copied, kept)
