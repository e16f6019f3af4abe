"""One DynamoDB table as the store adapters call it, and the conditions of their writes.

Like every adapter here (Powertools' idiom) a table takes an optional boto3 client and makes
one only when none is given. A failed condition stays a ClientError for the adapter, which
knows what it means (a conflict, an item that exists); anything else is StoreUnavailable or
StoreMisconfigured.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from manyi.store.aws_errors import error_code, store_error
from manyi.store.submissions.dynamodb import default_client

Item = dict[str, Any]


def primary_key(pk: str, sk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def is_new() -> dict[str, Any]:
    """The condition of a put that may not overwrite an item."""
    return {"ConditionExpression": "attribute_not_exists(pk)"}


def follows(version: int) -> dict[str, Any]:
    """The condition of a put of `version`: the stored item still has the version read before
    it, so a change made meanwhile is not overwritten."""
    return {
        "ConditionExpression": "#version = :read",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":read": {"N": str(version - 1)}},
    }


def refused_by_condition(error: ClientError) -> bool:
    """A write refused because its condition did not hold (in a transaction: one of them)."""
    code = error_code(error)
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons: list[dict[str, Any]] = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


class Table:
    """Calls on one table; anything but a refused condition becomes StoreUnavailable."""

    def __init__(self, table_name: str, client: Any | None) -> None:
        self.table_name = table_name
        self.client = client if client is not None else default_client()

    def call(self, operation: str, **request: Any) -> Any:
        try:
            if operation == "transact_write_items":  # each of its items names its table
                return self.client.transact_write_items(**request)
            return getattr(self.client, operation)(TableName=self.table_name, **request)
        except ClientError as error:
            if refused_by_condition(error):
                raise
            raise store_error(error, f"DynamoDB table {self.table_name!r}") from error
        except BotoCoreError as error:
            raise store_error(error, f"DynamoDB table {self.table_name!r}") from error

    def put(self, item: Item, condition: dict[str, Any]) -> bool:
        """A conditional put; False where the condition did not hold (nothing was written)."""
        try:
            self.call("put_item", Item=item, **condition)
        except ClientError:  # only a failed condition reaches here (see call)
            return False
        return True

    def put_new_together(self, *items: Item) -> None:
        """New items in one transaction, all or none: refused (a ClientError) where one of them
        exists already."""
        puts = [{"Put": {"TableName": self.table_name, "Item": item, **is_new()}} for item in items]
        self.call("transact_write_items", TransactItems=puts)

    def get(self, pk: str, sk: str) -> Item | None:
        found = self.call("get_item", Key=primary_key(pk, sk), ConsistentRead=True)
        item: Item | None = found.get("Item")
        return item

    def partition(self, pk: str, **query: Any) -> Iterator[Item]:
        """Every item of one partition, in key order, read consistently."""
        return self.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
            **query,
        )

    def query(self, **query: Any) -> Iterator[Item]:
        return paged(self.call, query)


def paged(call: Callable[..., Any], query: dict[str, Any]) -> Iterator[Item]:
    """The items of a query, page after page (`call` makes one client call)."""
    while True:
        page = call("query", **query)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class TableStore:
    """A store kept in one DynamoDB table: the given one, else the one the environment
    variable the store names holds (infra/template.yaml sets it for each function):
    `class DynamoDBEntryStore(TableStore, EntryStore, table_variable="ENTRY_TABLE")`."""

    TABLE_VARIABLE: ClassVar[str]

    def __init_subclass__(cls, *, table_variable: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if table_variable:  # else a store's own subclass, on its parent's table
            cls.TABLE_VARIABLE = table_variable

    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table = Table(table_name or os.environ[self.TABLE_VARIABLE], client)
