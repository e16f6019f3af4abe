"""A DynamoDB client that fails like a throttled table, then works: for the 503 tests."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

THROTTLED_TRANSACTION = {
    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
    "CancellationReasons": [
        {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity."},
        {"Code": "None"},
    ],
}
THROTTLED_TABLE = {
    "Error": {
        "Code": "ProvisionedThroughputExceededException",
        "Message": "The level of configured provisioned throughput for the table was exceeded.",
    }
}


class ThrottledClient:
    """Delegates to a real (moto) client; the next `failures` writes raise `response`.

    `skip` writes go through first (e.g. 1: the second write of a submission fails).
    """

    def __init__(self, client: Any, failures: int, response: dict[str, Any], skip: int = 0) -> None:
        self._client = client
        self.failures = failures
        self.skip = skip
        self._response = response
        self.calls = 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        self._fail("TransactWriteItems")
        return self._client.transact_write_items(**kwargs)

    def put_item(self, **kwargs: Any) -> Any:
        self._fail("PutItem")
        return self._client.put_item(**kwargs)

    def _fail(self, operation: str) -> None:
        self.calls += 1
        if self.skip > 0:
            self.skip -= 1
            return
        if self.failures > 0:
            self.failures -= 1
            raise ClientError(self._response, operation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
