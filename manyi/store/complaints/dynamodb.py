"""The complaints store in its own DynamoDB table (infra/template.yaml: ComplaintsTable).

A new complaint is numbered by an atomic counter, then written with its exactly-once item in
one transaction (complaints are few: the transaction's double write cost does not matter).
A replay finds the exactly-once item and answers with the complaint stored first. Final
complaints that still hold personal fields carry the sparse index `personal_closed`, which the
retention purge queries.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from manyi.complaints.model import Complaint, ConductHandlers, tracking_number
from manyi.store.aws_errors import error_code, store_error
from manyi.store.complaints.base import (
    HANDLERS_PK,
    PERSONAL_MARK,
    ComplaintConflict,
    ComplaintStore,
    HandlersConflict,
    WrongCodes,
    key_pk,
    purge_index,
    sequence_pk,
    wrong_pk,
    year_pk,
)
from manyi.store.errors import StoreUnavailable
from manyi.store.staff.base import dumps
from manyi.store.submissions.dynamodb import default_client

Item = dict[str, Any]
PERSONAL_INDEX = "personal_closed"


def _key(pk: str, sk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class DynamoDBComplaintStore(ComplaintStore):
    def __init__(self, table_name: str | None = None, client: Any | None = None) -> None:
        self.table_name = table_name or os.environ["COMPLAINTS_TABLE"]
        self.client = client if client is not None else default_client()
        self.resource = f"DynamoDB table {self.table_name!r}"

    def _call(self, operation: str, **request: Any) -> Any:
        """One call; a failed condition stays a ClientError for the caller, anything else is
        StoreUnavailable or StoreMisconfigured."""
        try:
            if operation == "transact_write_items":
                return self.client.transact_write_items(**request)
            return getattr(self.client, operation)(TableName=self.table_name, **request)
        except ClientError as error:
            if _refused_by_condition(error):
                raise
            raise store_error(error, self.resource) from error
        except BotoCoreError as error:
            raise store_error(error, self.resource) from error

    def _get(self, pk: str, sk: str) -> Item | None:
        found = self._call("get_item", Key=_key(pk, sk), ConsistentRead=True)
        item: Item | None = found.get("Item")
        return item

    def add(self, complaint: Complaint) -> tuple[Complaint, bool]:
        first = self._first(complaint.key_hash)
        if first is not None:
            return first, False
        counted = self._call(
            "update_item",
            Key=_key(sequence_pk(complaint.year, complaint.department), "N"),
            UpdateExpression="ADD #last :one",
            ExpressionAttributeNames={"#last": "last"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        sequence = int(counted["Attributes"]["last"]["N"])
        number = tracking_number(complaint.year, complaint.department, sequence)
        stored = replace(complaint, number=number, version=1)
        try:
            self._call(
                "transact_write_items",
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": _complaint_item(stored),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {
                                **_key(key_pk(stored.key_hash), "K"),
                                "number": {"S": number},
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ],
            )
        except ClientError as error:
            # The same complaint, sent twice at once: the other request stored it first.
            first = self._first(complaint.key_hash)
            if first is None:
                raise StoreUnavailable("complaint write refused; retry") from error
            return first, False
        return stored, True

    def _first(self, key_hash: str) -> Complaint | None:
        item = self._get(key_pk(key_hash), "K")
        if item is None:
            return None
        found = self.get(item["number"]["S"])
        if found is None:
            raise StoreUnavailable("complaint item missing behind its key; retry")
        return found

    def get(self, number: str) -> Complaint | None:
        year = number[:4]
        if not year.isdigit():
            return None
        item = self._get(year_pk(int(year)), number)
        return None if item is None else _complaint(item)

    def year(self, year: int) -> list[Complaint]:
        return self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": year_pk(year)}},
            ConsistentRead=True,
        )

    def closed_with_personal(self, on_or_before: str) -> list[Complaint]:
        # A global index reads eventually: a complaint concluded a moment ago may be missing,
        # which only leaves it for the next run (nothing is due that young).
        return self._query(
            IndexName=PERSONAL_INDEX,
            KeyConditionExpression="personal = :mark AND closed_on <= :day",
            ExpressionAttributeValues={":mark": {"S": PERSONAL_MARK}, ":day": {"S": on_or_before}},
        )

    def _query(self, **query: Any) -> list[Complaint]:
        found = []
        while True:
            page = self._call("query", **query)
            found += [_complaint(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def replace(self, complaint: Complaint) -> None:
        try:
            self._call(
                "put_item",
                Item=_complaint_item(complaint),
                ConditionExpression="#version = :read",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":read": {"N": str(complaint.version - 1)}},
            )
        except ClientError:
            raise ComplaintConflict(complaint.number) from None

    def wrong_codes(self, number: str) -> WrongCodes:
        item = self._get(wrong_pk(number), "W")
        if item is None:
            return WrongCodes()
        return WrongCodes(int(item["count"]["N"]), float(item["last_at"]["N"]))

    def add_wrong_code(self, number: str, now: float) -> WrongCodes:
        found = self._call(
            "update_item",
            Key=_key(wrong_pk(number), "W"),
            UpdateExpression="ADD #count :one SET last_at = :now",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"N": repr(now)}},
            ReturnValues="ALL_NEW",
        )
        attributes = found["Attributes"]
        return WrongCodes(int(attributes["count"]["N"]), float(attributes["last_at"]["N"]))

    def clear_wrong_codes(self, number: str) -> None:
        self._call("delete_item", Key=_key(wrong_pk(number), "W"))

    def handlers(self) -> ConductHandlers:
        item = self._get(HANDLERS_PK, "H")
        if item is None:
            return ConductHandlers()
        return ConductHandlers.from_dict(json.loads(item["handlers"]["S"]))

    def set_handlers(self, handlers: ConductHandlers) -> None:
        if handlers.version == 1:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#version = :read",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":read": {"N": str(handlers.version - 1)}},
            }
        item = {
            **_key(HANDLERS_PK, "H"),
            "version": {"N": str(handlers.version)},
            "handlers": {"S": dumps(handlers.to_dict())},
        }
        try:
            self._call("put_item", Item=item, **condition)
        except ClientError:
            raise HandlersConflict(HANDLERS_PK) from None


def _refused_by_condition(error: ClientError) -> bool:
    code = error_code(error)
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons: list[dict[str, Any]] = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


def _complaint_item(complaint: Complaint) -> Item:
    item: Item = {
        **_key(year_pk(complaint.year), complaint.number),
        "version": {"N": str(complaint.version)},
        "complaint": {"S": dumps(complaint.to_dict())},
    }
    personal, closed_on = purge_index(complaint)
    if personal:
        item["personal"] = {"S": personal}
        item["closed_on"] = {"S": closed_on}
    return item


def _complaint(item: Item) -> Complaint:
    return Complaint.from_dict(json.loads(item["complaint"]["S"]))
