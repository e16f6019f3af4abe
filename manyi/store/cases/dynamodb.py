"""The follow-up store in one DynamoDB table (infra/template.yaml: CasesTable).

Cases, draws and visitors share the table under the key layout of base.py. Two sparse indexes:
`by_visitor` (only assigned cases carry `visitor`) and `personal_done` (only finished cases that
still hold sealed personal fields carry `personal`), so "my calls" and the purge are Queries.
The table's items hold personal fields only sealed; the key that opens them is in KMS.
"""

from __future__ import annotations

import json

from manyi.store.cases.base import (
    PERSONAL_MARK,
    VISITORS_PARTITION,
    Case,
    CaseConflict,
    CaseStore,
    Draw,
    Visitor,
    case_pk,
    draw_pk,
)
from manyi.store.dynamodb_table import Item, TableStore, follows, is_new, primary_key
from manyi.store.records import dumps

VISITOR_INDEX = "by_visitor"
PERSONAL_INDEX = "personal_done"


def _case_item(case: Case) -> Item:
    item: Item = {
        **primary_key(case_pk(case.department, case.month), case.case_id),
        "version": {"N": str(case.version)},
        "body": {"S": dumps(case.to_dict())},
    }
    if case.visitor:
        item["visitor"] = {"S": case.visitor}
    if case.done and case.holds_personal:
        item["personal"] = {"S": PERSONAL_MARK}
        item["done_at"] = {"S": case.done_at}
    return item


def _case(item: Item) -> Case:
    return Case.from_dict(json.loads(item["body"]["S"]))


class DynamoDBCaseStore(TableStore, CaseStore, table_variable="CASES_TABLE"):
    def add_cases(self, cases: list[Case]) -> list[str]:
        # One conditional put each: a file of any size, and a retry after a crash converges.
        added = []
        for case in cases:
            if case.version != 1:
                raise ValueError("a new case has version 1")
            if self.table.put(_case_item(case), is_new()):
                added.append(case.case_id)
        return added

    def get(self, department: str, month: str, case_id: str) -> Case | None:
        item = self.table.get(case_pk(department, month), case_id)
        return None if item is None else _case(item)

    def month(self, department: str, month: str) -> list[Case]:
        items = self.table.partition(case_pk(department, month))
        return [_case(item) for item in items]

    def replace(self, case: Case) -> None:
        if not self.table.put(_case_item(case), follows(case.version)):
            raise CaseConflict(case.case_id)

    def assigned_to(self, visitor: str) -> list[Case]:
        items = self.table.query(
            IndexName=VISITOR_INDEX,
            KeyConditionExpression="visitor = :visitor",
            ExpressionAttributeValues={":visitor": {"S": visitor}},
        )
        cases = [_case(item) for item in items]
        return sorted(cases, key=lambda c: (c.month, c.department, c.case_id))

    def done_with_personal(self, before: str) -> list[Case]:
        items = self.table.query(
            IndexName=PERSONAL_INDEX,
            KeyConditionExpression="personal = :mark AND done_at < :before",
            ExpressionAttributeValues={
                ":mark": {"S": PERSONAL_MARK},
                ":before": {"S": before},
            },
        )
        return [_case(item) for item in items]

    def add_draw(self, draw: Draw) -> None:
        self.table.call(
            "put_item",
            Item={
                **primary_key(draw_pk(draw.department, draw.month), draw.sort_key),
                "body": {"S": dumps(draw.to_dict())},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def draws(self, department: str, month: str) -> list[Draw]:
        items = self.table.partition(draw_pk(department, month))
        return [Draw.from_dict(json.loads(item["body"]["S"])) for item in items]

    def put_visitor(self, visitor: Visitor) -> None:
        self.table.call(
            "put_item",
            Item={
                **primary_key(VISITORS_PARTITION, visitor.username),
                "body": {"S": dumps(visitor.to_dict())},
            },
        )

    def visitors(self) -> list[Visitor]:
        items = self.table.partition(VISITORS_PARTITION)
        return [Visitor.from_dict(json.loads(item["body"]["S"])) for item in items]
