"""The complaints store in its own DynamoDB table (infra/template.yaml: ComplaintsTable).

A new complaint is numbered by an atomic counter, then written with its exactly-once item in
one transaction (complaints are few: the transaction's double write cost does not matter).
A replay finds the exactly-once item and answers with the complaint stored first. Final
complaints that still hold personal fields carry the sparse index `personal_closed`, which the
retention purge queries.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from manyi.complaints.model import Complaint, ConductHandlers, tracking_number
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
from manyi.store.dynamodb_table import Item, TableStore, follows, is_new, primary_key
from manyi.store.errors import StoreUnavailable
from manyi.store.records import dumps

PERSONAL_INDEX = "personal_closed"


class DynamoDBComplaintStore(TableStore, ComplaintStore, table_variable="COMPLAINTS_TABLE"):
    def add(self, complaint: Complaint) -> tuple[Complaint, bool]:
        first = self._first(complaint.key_hash)
        if first is not None:
            return first, False
        counted = self.table.call(
            "update_item",
            Key=primary_key(sequence_pk(complaint.year, complaint.department), "N"),
            UpdateExpression="ADD #last :one",
            ExpressionAttributeNames={"#last": "last"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        sequence = int(counted["Attributes"]["last"]["N"])
        number = tracking_number(complaint.year, complaint.department, sequence)
        stored = replace(complaint, number=number, version=1)
        try:
            self.table.put_new_together(
                _complaint_item(stored),
                {**primary_key(key_pk(stored.key_hash), "K"), "number": {"S": number}},
            )
        except ClientError as error:
            # The same complaint, sent twice at once: the other request stored it first.
            first = self._first(complaint.key_hash)
            if first is None:
                raise StoreUnavailable("complaint write refused; retry") from error
            return first, False
        return stored, True

    def _first(self, key_hash: str) -> Complaint | None:
        item = self.table.get(key_pk(key_hash), "K")
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
        item = self.table.get(year_pk(int(year)), number)
        return None if item is None else _complaint(item)

    def year(self, year: int) -> list[Complaint]:
        return [_complaint(item) for item in self.table.partition(year_pk(year))]

    def closed_with_personal(self, on_or_before: str) -> list[Complaint]:
        # A global index reads eventually: a complaint concluded a moment ago may be missing,
        # which only leaves it for the next run (nothing is due that young).
        return self._query(
            IndexName=PERSONAL_INDEX,
            KeyConditionExpression="personal = :mark AND closed_on <= :day",
            ExpressionAttributeValues={":mark": {"S": PERSONAL_MARK}, ":day": {"S": on_or_before}},
        )

    def _query(self, **query: Any) -> list[Complaint]:
        return [_complaint(item) for item in self.table.query(**query)]

    def replace(self, complaint: Complaint) -> None:
        if not self.table.put(_complaint_item(complaint), follows(complaint.version)):
            raise ComplaintConflict(complaint.number)

    def wrong_codes(self, number: str) -> WrongCodes:
        item = self.table.get(wrong_pk(number), "W")
        if item is None:
            return WrongCodes()
        return WrongCodes(int(item["count"]["N"]), float(item["last_at"]["N"]))

    def add_wrong_code(self, number: str, now: float) -> WrongCodes:
        found = self.table.call(
            "update_item",
            Key=primary_key(wrong_pk(number), "W"),
            UpdateExpression="ADD #count :one SET last_at = :now",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"N": repr(now)}},
            ReturnValues="ALL_NEW",
        )
        attributes = found["Attributes"]
        return WrongCodes(int(attributes["count"]["N"]), float(attributes["last_at"]["N"]))

    def clear_wrong_codes(self, number: str) -> None:
        self.table.call("delete_item", Key=primary_key(wrong_pk(number), "W"))

    def handlers(self) -> ConductHandlers:
        item = self.table.get(HANDLERS_PK, "H")
        if item is None:
            return ConductHandlers()
        return ConductHandlers.from_dict(json.loads(item["handlers"]["S"]))

    def set_handlers(self, handlers: ConductHandlers) -> None:
        condition = is_new() if handlers.version == 1 else follows(handlers.version)
        item = {
            **primary_key(HANDLERS_PK, "H"),
            "version": {"N": str(handlers.version)},
            "handlers": {"S": dumps(handlers.to_dict())},
        }
        if not self.table.put(item, condition):
            raise HandlersConflict(HANDLERS_PK)


def _complaint_item(complaint: Complaint) -> Item:
    item: Item = {
        **primary_key(year_pk(complaint.year), complaint.number),
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
