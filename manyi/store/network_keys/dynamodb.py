"""Daily network keys in a DynamoDB table of their own (`NETWORK_KEYS_TABLE`).

The collector may only get and put (a put only where no key is yet: the first writer wins and
everyone reads its key); only the aggregator may query and delete. Each item also carries
`expires_at`, the table's TTL attribute, some weeks after its day: a backstop that removes a
key even if no close ever runs, never the normal way (TTL deletion can lag by days).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta

from botocore.exceptions import ClientError

from manyi.store.dynamodb_table import TableStore, primary_key
from manyi.store.network_keys.base import NetworkKeyError, NetworkKeys, new_key

# A day's key outlives its month's close (about a month later) by a margin; see above.
TTL_DAYS = 70


class DynamoDBNetworkKeys(TableStore, NetworkKeys, table_variable="NETWORK_KEYS_TABLE"):
    def key(self, day: date) -> bytes:
        pk, sk = _day_key(day.isoformat())
        expires = datetime.combine(day, time(), UTC) + timedelta(days=TTL_DAYS)
        # Where another caller made the day's key first, the put fails: read theirs.
        with suppress(ClientError):
            self.table.call(
                "put_item",
                Item={
                    **primary_key(pk, sk),
                    "key": {"B": new_key()},
                    "expires_at": {"N": str(int(expires.timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        found = self.table.get(pk, sk)
        if found is None:
            raise NetworkKeyError("the day's key is not readable after its put")
        return bytes(found["key"]["B"])

    def days(self, month: str) -> list[str]:
        items = self.table.partition(f"M#{month}", ProjectionExpression="sk")
        return sorted(item["sk"]["S"] for item in items)

    def destroy(self, day: str) -> None:
        self.table.call("delete_item", Key=primary_key(*_day_key(day)))


def _day_key(day: str) -> tuple[str, str]:
    return f"M#{day[:7]}", day
