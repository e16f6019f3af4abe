"""Daily network keys in a DynamoDB table of their own (`NETWORK_KEYS_TABLE`).

The collector may only get and put (a put only where no key is yet: the first writer wins and
everyone reads its key); only the aggregator may query and delete. Each item also carries
`expires_at`, the table's TTL attribute, some weeks after its day: a backstop that removes a
key even if no close ever runs, never the normal way (TTL deletion can lag by days).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from manyi.store.aws_errors import store_error
from manyi.store.network_keys.base import NetworkKeyError, NetworkKeys, new_key

# A day's key outlives its month's close (about a month later) by a margin; see above.
TTL_DAYS = 70


class DynamoDBNetworkKeys(NetworkKeys):
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table_name = table_name or os.environ["NETWORK_KEYS_TABLE"]
        if client is None:
            from manyi.store.submissions.dynamodb import default_client

            client = default_client()
        self._client = client
        self.resource = f"DynamoDB table {self.table_name!r}"

    def key(self, day: date) -> bytes:
        item_key = _key(day.isoformat())
        expires = datetime.combine(day, time(), UTC) + timedelta(days=TTL_DAYS)
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    **item_key,
                    "key": {"B": new_key()},
                    "expires_at": {"N": str(int(expires.timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise NetworkKeyError(str(store_error(error, self.resource))) from error
            item = error.response.get("Item") or self._get(item_key)
            if item is None:
                raise NetworkKeyError("the day's key vanished between put and get") from error
            return bytes(item["key"]["B"])
        except BotoCoreError as error:
            raise NetworkKeyError(str(store_error(error, self.resource))) from error
        found = self._get(item_key)
        if found is None:
            raise NetworkKeyError("the day's key is not readable after its put")
        return bytes(found["key"]["B"])

    def _get(self, item_key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            found = self._client.get_item(
                TableName=self.table_name, Key=item_key, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise NetworkKeyError(str(store_error(error, self.resource))) from error
        item: dict[str, Any] | None = found.get("Item")
        return item

    def days(self, month: str) -> list[str]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"M#{month}"}},
            "ProjectionExpression": "sk",
            "ConsistentRead": True,
        }
        days: list[str] = []
        while True:
            try:
                page = self._client.query(**query)
            except (ClientError, BotoCoreError) as error:
                raise store_error(error, self.resource) from error
            days += [item["sk"]["S"] for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return sorted(days)
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def destroy(self, day: str) -> None:
        try:
            self._client.delete_item(TableName=self.table_name, Key=_key(day))
        except (ClientError, BotoCoreError) as error:
            raise store_error(error, self.resource) from error


def _key(day: str) -> dict[str, Any]:
    return {"pk": {"S": f"M#{day[:7]}"}, "sk": {"S": day}}
