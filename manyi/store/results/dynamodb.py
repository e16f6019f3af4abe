"""The aggregator's state in the DynamoDB results table (`RESULTS_TABLE`: string `pk` and `sk`).

One partition per month, so reading a month is one Query:
- `pk = "M#<YYYY-MM>"`, `sk = "DM#<department>"`: a department-month's counts (JSON), its
  watermark and its version; written by a conditional put on the version it read;
- `sk = "SERVED"`: the served-subject counts set by the office (JSON, department → count) and
  a version, so that an import of any number of departments is one conditional write;
- `sk = "CLOSE"`: the month's close (its horizon, the served counts at the close, published);
- `sk = "EVENT#<at>#<action>"`: a close or reopen, who did it and why (never changed).
And one item apart, `pk = sk = "DEPARTMENTS"`: every department ever counted (a string set).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from manyi.aggregate import MonthlyResult
from manyi.store.aws_errors import store_error
from manyi.store.dynamodb_table import paged
from manyi.store.records import dumps
from manyi.store.results.base import (
    CloseEvent,
    DepartmentMonthState,
    MonthClose,
    ResultsStore,
    ServedTooLarge,
    StateConflict,
)
from manyi.submission import utc_timestamp

Item = dict[str, Any]
# TransactWriteItems takes at most 100 items.
TRANSACTION_LIMIT = 100
# Attempts at a reopen while other runs keep closing and reopening the same month.
MAX_ATTEMPTS = 5
DEPARTMENTS_KEY = {"pk": {"S": "DEPARTMENTS"}, "sk": {"S": "DEPARTMENTS"}}


def month_key(month: str) -> str:
    return f"M#{month}"


def _is_condition_failure(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _is_cancelled_by_condition(error: Exception) -> bool:
    """A transaction cancelled only because a condition did not hold (nothing was written)."""
    response = getattr(error, "response", None) or {}
    if response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    codes = {reason.get("Code") for reason in response.get("CancellationReasons") or []}
    return "ConditionalCheckFailed" in codes and codes <= {"ConditionalCheckFailed", "None", None}


class DynamoDBResultsStore(ResultsStore):
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table_name = table_name or os.environ["RESULTS_TABLE"]
        if client is None:
            import boto3  # only the AWS path pays for boto3

            client = boto3.client("dynamodb")
        self._client = client
        self.resource = f"DynamoDB table {self.table_name!r}"

    def _call(self, operation: str, **request: Any) -> Any:
        """One client call. A failed condition stays as it is, for the caller to judge; any
        other AWS error becomes StoreUnavailable (retry) or StoreMisconfigured (fix)."""
        try:
            return getattr(self._client, operation)(**request)
        except (BotoCoreError, ClientError) as error:
            if _is_condition_failure(error) or _is_cancelled_by_condition(error):
                raise
            raise store_error(error, self.resource) from error

    def _query(self, month: str, prefix: str) -> Iterator[Item]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": month_key(month)}, ":prefix": {"S": prefix}},
            "ConsistentRead": True,
        }
        return paged(self._call, query)

    def _get(self, month: str, sk: str) -> Item | None:
        found = self._call(
            "get_item",
            TableName=self.table_name,
            Key={"pk": {"S": month_key(month)}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item: Item | None = found.get("Item")
        return item

    # -- department-months --------------------------------------------------------------

    def state(self, department: str, month: str) -> DepartmentMonthState:
        item = self._get(month, f"DM#{department}")
        return DepartmentMonthState.empty(department, month) if item is None else _state(item)

    def month_states(self, month: str) -> list[DepartmentMonthState]:
        return [_state(item) for item in self._query(month, "DM#")]

    def put_state(self, state: DepartmentMonthState, expected_version: int) -> None:
        if state.version != expected_version + 1:
            raise ValueError("a state's version must be the expected version + 1")
        condition = _on_version(expected_version)
        try:
            self._call(
                "put_item",
                TableName=self.table_name,
                Item={
                    "pk": {"S": month_key(state.month)},
                    "sk": {"S": f"DM#{state.department}"},
                    "version": {"N": str(state.version)},
                    "watermark": {"S": state.watermark},
                    "result": {"S": dumps(state.result.to_dict())},
                },
                **condition,
            )
        except Exception as error:
            if _is_condition_failure(error):
                raise StateConflict(f"{state.department} {state.month}") from error
            raise

    # -- months -------------------------------------------------------------------------

    def month_close(self, month: str) -> MonthClose | None:
        item = self._get(month, "CLOSE")
        if item is None:
            return None
        return MonthClose(
            month=month,
            horizon=item["horizon"]["S"],
            closed_at=item["closed_at"]["S"],
            served=json.loads(item["served"]["S"]),
            published=item.get("published", {}).get("BOOL", False),
        )

    def add_month_close(self, close: MonthClose, event: CloseEvent) -> MonthClose:
        item = {
            "pk": {"S": month_key(close.month)},
            "sk": {"S": "CLOSE"},
            "horizon": {"S": close.horizon},
            "closed_at": {"S": close.closed_at},
            "served": {"S": dumps(dict(close.served))},
            "published": {"BOOL": False},
        }
        try:
            self._call(
                "transact_write_items",
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    self._put_event(event),
                ],
            )
        except Exception as error:
            if not _is_cancelled_by_condition(error):
                raise
        recorded = self.month_close(close.month)
        assert recorded is not None
        return recorded

    def reopen_month(self, event: CloseEvent) -> MonthClose | None:
        for _ in range(MAX_ATTEMPTS):
            close = self.month_close(event.month)
            if close is None:
                return None
            delete = {
                "TableName": self.table_name,
                "Key": {"pk": {"S": month_key(event.month)}, "sk": {"S": "CLOSE"}},
                # The very close read above: a close made again meanwhile is not removed.
                "ConditionExpression": "closed_at = :closed_at",
                "ExpressionAttributeValues": {":closed_at": {"S": close.closed_at}},
            }
            try:
                self._call(
                    "transact_write_items",
                    TransactItems=[{"Delete": delete}, self._put_event(event)],
                )
            except Exception as error:
                if not _is_cancelled_by_condition(error):
                    raise
                continue
            return close
        raise StateConflict(f"{event.month}: its close kept changing during the reopen")

    def close_events(self, month: str) -> list[CloseEvent]:
        return [
            CloseEvent(
                month=month,
                action="reopen" if item["action"]["S"] == "reopen" else "close",
                at=item["at"]["S"],
                by=item["by"]["S"],
                reason=item["reason"]["S"],
                early=item["early"]["BOOL"],
            )
            for item in self._query(month, "EVENT#")
        ]

    def _put_event(self, event: CloseEvent) -> dict[str, Any]:
        item = {
            "pk": {"S": month_key(event.month)},
            "sk": {"S": f"EVENT#{event.at}#{event.action}"},
            "action": {"S": event.action},
            "at": {"S": event.at},
            "by": {"S": event.by},
            "reason": {"S": event.reason},
            "early": {"BOOL": event.early},
        }
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def mark_published(self, month: str) -> None:
        self._call(
            "update_item",
            TableName=self.table_name,
            Key={"pk": {"S": month_key(month)}, "sk": {"S": "CLOSE"}},
            UpdateExpression="SET published = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def known_departments(self) -> set[str]:
        found = self._call(
            "get_item", TableName=self.table_name, Key=DEPARTMENTS_KEY, ConsistentRead=True
        )
        return set(found.get("Item", {}).get("ids", {}).get("SS", []))

    def add_known_departments(self, departments: Iterable[str]) -> None:
        ids = sorted(set(departments))
        if ids:  # a string set cannot be empty
            self._call(
                "update_item",
                TableName=self.table_name,
                Key=DEPARTMENTS_KEY,
                UpdateExpression="ADD ids :ids",
                ExpressionAttributeValues={":ids": {"SS": ids}},
            )

    # -- served subjects ----------------------------------------------------------------

    def served(self, month: str) -> dict[str, int]:
        return self._served(month)[0]

    def served_changes(self, month: str) -> dict[str, str]:
        return self._served(month)[2]

    def set_served(self, counts: Mapping[tuple[str, str], int], at: str | None = None) -> None:
        """One item per month, all written in one transaction, each on the version it read:
        all or nothing for up to 100 months at once (DynamoDB's limit), however many
        departments."""
        by_month: dict[str, dict[str, int]] = {}
        for (month, department), count in counts.items():
            by_month.setdefault(month, {})[department] = count
        if len(by_month) > TRANSACTION_LIMIT:
            raise ServedTooLarge(
                f"一次最多导入 {TRANSACTION_LIMIT} 个月的服务对象总数，"
                f"这次有 {len(by_month)} 个月：请分成几个文件导入"
            )
        at = at or utc_timestamp(datetime.now(UTC))
        for _ in range(MAX_ATTEMPTS):
            puts = []
            for month, new in sorted(by_month.items()):
                current, version, changed = self._served(month)
                changed = {
                    **changed,
                    **{d: at for d, n in new.items() if current.get(d) != n},
                }
                puts.append(self._put_served(month, {**current, **new}, version, changed))
            if not puts:
                return
            try:
                self._call("transact_write_items", TransactItems=puts)
            except Exception as error:
                if not _is_cancelled_by_condition(error):
                    raise
                continue  # another write came first: read again and merge
            return
        raise StateConflict("served counts kept changing during the write")

    def _served(self, month: str) -> tuple[dict[str, int], int, dict[str, str]]:
        """The month's served counts, the version of their item (0: none yet) and when each
        count last changed (only those set since changes were recorded).

        Items `SERVED#<department>` (one per department, as the first releases wrote them)
        are read too, under the month's item, which holds every count set since.
        """
        legacy: dict[str, int] = {}
        current: dict[str, int] = {}
        changed: dict[str, str] = {}
        version = 0
        for item in self._query(month, "SERVED"):
            if item["sk"]["S"] == "SERVED":
                version = int(item["version"]["N"])
                current = {k: int(v) for k, v in json.loads(item["counts"]["S"]).items()}
                if "changed" in item:
                    changed = json.loads(item["changed"]["S"])
            else:
                legacy[item["sk"]["S"].removeprefix("SERVED#")] = int(item["count"]["N"])
        return dict(sorted({**legacy, **current}.items())), version, dict(sorted(changed.items()))

    def _put_served(
        self, month: str, counts: Mapping[str, int], version: int, changed: Mapping[str, str]
    ) -> Item:
        condition = _on_version(version)
        item = {
            "pk": {"S": month_key(month)},
            "sk": {"S": "SERVED"},
            "counts": {"S": dumps(dict(counts))},
            "changed": {"S": dumps(dict(changed))},
            "version": {"N": str(version + 1)},
        }
        return {"Put": {"TableName": self.table_name, "Item": item, **condition}}


def _on_version(expected: int) -> dict[str, Any]:
    """The condition of a write over the item's version read (0: no item yet)."""
    if expected == 0:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "#version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":expected": {"N": str(expected)}},
    }


def _state(item: Item) -> DepartmentMonthState:
    return DepartmentMonthState(
        MonthlyResult.from_dict(json.loads(item["result"]["S"])),
        version=int(item["version"]["N"]),
        watermark=item["watermark"]["S"],
    )
