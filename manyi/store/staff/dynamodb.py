"""The staff stores in three DynamoDB tables: accounts, sessions (with TTL) and the audit log.

Like every adapter here (Powertools' idiom) each takes an optional boto3 client and makes one
only when none is given. Every write is conditional: an account names the version it read, a
session or an audit event may not overwrite an item. The audit adapter has no update or delete
call at all, and the workspace's role is allowed none on that table.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from manyi.store.dynamodb_table import Item, TableStore, follows, is_new, primary_key
from manyi.store.records import dumps
from manyi.store.staff.base import (
    ACCOUNTS_PARTITION,
    FAILURES_KEPT_SECONDS,
    Account,
    AccountConflict,
    AccountExists,
    AccountStore,
    AuditEvent,
    AuditEventExists,
    AuditLog,
    LoginFailures,
    Session,
    SessionStore,
    StaffStores,
    audit_pk,
    failures_pk,
    session_pk,
)
from manyi.store.submissions.dynamodb import default_client

SESSION_SK = "SESSION"
FAILURES_SK = "FAILURES"
# The audit table's index on `target` (infra/template.yaml: AuditTable).
TARGET_INDEX = "by_target"


class DynamoDBAccountStore(TableStore, AccountStore, table_variable="ACCOUNTS_TABLE"):
    def add(self, account: Account) -> None:
        if account.version != 1:
            raise ValueError("a new account has version 1")
        if not self.table.put(_account_item(account), is_new()):
            raise AccountExists(account.username)

    def get(self, username: str) -> Account | None:
        item = self.table.get(ACCOUNTS_PARTITION, username)
        return None if item is None else _account(item)

    def all(self) -> list[Account]:
        items = self.table.partition(ACCOUNTS_PARTITION)
        return [_account(item) for item in items]

    def replace(self, account: Account) -> None:
        if not self.table.put(_account_item(account), follows(account.version)):
            raise AccountConflict(account.username)


def _account_item(account: Account) -> Item:
    return {
        **primary_key(ACCOUNTS_PARTITION, account.username),
        "version": {"N": str(account.version)},
        "account": {"S": dumps(account.to_dict())},
    }


def _account(item: Item) -> Account:
    return Account.from_dict(json.loads(item["account"]["S"]))


class DynamoDBSessionStore(TableStore, SessionStore, table_variable="SESSIONS_TABLE"):
    """Sessions and failed-login counters; both expire through the `expires_at` TTL."""

    def create(self, session: Session) -> None:
        self.table.call(
            "put_item",
            Item={
                **primary_key(session_pk(session.key_hash), SESSION_SK),
                "username": {"S": session.username},
                "generation": {"N": str(session.generation)},
                "csrf_token": {"S": session.csrf_token},
                "created_at": {"N": repr(session.created_at)},
                "last_seen": {"N": repr(session.last_seen)},
                "expires_at": {"N": str(int(session.expires_at) + 1)},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, key_hash: str) -> Session | None:
        item = self.table.get(session_pk(key_hash), SESSION_SK)
        if item is None:
            return None
        return Session(
            key_hash=key_hash,
            username=item["username"]["S"],
            generation=int(item["generation"]["N"]),
            csrf_token=item["csrf_token"]["S"],
            created_at=float(item["created_at"]["N"]),
            last_seen=float(item["last_seen"]["N"]),
        )

    def touch(self, key_hash: str, last_seen: float) -> None:
        session = self.get(key_hash)
        if session is None:
            return
        moved = replace(session, last_seen=last_seen)
        try:
            self.table.call(
                "update_item",
                Key=primary_key(session_pk(key_hash), SESSION_SK),
                UpdateExpression="SET last_seen = :seen, expires_at = :expires",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={
                    ":seen": {"N": repr(last_seen)},
                    ":expires": {"N": str(int(moved.expires_at) + 1)},
                },
            )
        except ClientError:
            return  # logged out meanwhile: nothing to move

    def delete(self, key_hash: str) -> None:
        self.table.call("delete_item", Key=primary_key(session_pk(key_hash), SESSION_SK))

    def failures(self, key: str, now: float) -> LoginFailures:
        item = self.table.get(failures_pk(key), FAILURES_SK)
        if item is None:
            return LoginFailures()
        found = LoginFailures(int(item["count"]["N"]), float(item["last_at"]["N"]))
        return found if found.last_at > now - FAILURES_KEPT_SECONDS else LoginFailures()

    def add_failure(self, key: str, now: float) -> LoginFailures:
        values = {
            ":one": {"N": "1"},
            ":now": {"N": repr(now)},
            ":expires": {"N": str(int(now + FAILURES_KEPT_SECONDS) + 1)},
            ":recent": {"N": repr(now - FAILURES_KEPT_SECONDS)},
        }
        try:
            # ADD counts concurrent failures exactly; the condition restarts an old counter.
            found = self.table.call(
                "update_item",
                Key=primary_key(failures_pk(key), FAILURES_SK),
                UpdateExpression="ADD #count :one SET last_at = :now, expires_at = :expires",
                ConditionExpression="attribute_not_exists(pk) OR last_at > :recent",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError:
            self.table.call(
                "put_item",
                Item={
                    **primary_key(failures_pk(key), FAILURES_SK),
                    "count": {"N": "1"},
                    "last_at": values[":now"],
                    "expires_at": values[":expires"],
                },
            )
            return LoginFailures(1, now)
        attributes = found["Attributes"]
        return LoginFailures(int(attributes["count"]["N"]), float(attributes["last_at"]["N"]))

    def clear_failures(self, key: str) -> None:
        self.table.call("delete_item", Key=primary_key(failures_pk(key), FAILURES_SK))


class DynamoDBAuditLog(TableStore, AuditLog, table_variable="AUDIT_TABLE"):
    def append(self, event: AuditEvent) -> None:
        item = {
            **primary_key(audit_pk(event.month), event.sort_key),
            "target": {"S": event.target},
            "event": {"S": dumps(event.to_dict())},
        }
        if not self.table.put(item, is_new()):
            raise AuditEventExists(event.event_id)

    def month(self, month: str) -> list[AuditEvent]:
        items = self.table.partition(audit_pk(month))
        return [_event(item) for item in items]

    def history(self, target: str) -> list[AuditEvent]:
        # A global index reads eventually: an event written a moment ago may be missing.
        items = self.table.query(
            IndexName=TARGET_INDEX,
            KeyConditionExpression="target = :target",
            ExpressionAttributeValues={":target": {"S": target}},
        )
        return [_event(item) for item in items]


def _event(item: Item) -> AuditEvent:
    return AuditEvent.from_dict(json.loads(item["event"]["S"]))


@dataclass(frozen=True)
class StaffTables:
    accounts: str
    sessions: str
    audit: str
    region: str | None = None

    @classmethod
    def from_environment(cls, env: Any = None) -> StaffTables:
        env = os.environ if env is None else env
        return cls(
            accounts=env["ACCOUNTS_TABLE"],
            sessions=env["SESSIONS_TABLE"],
            audit=env["AUDIT_TABLE"],
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        )


def aws_staff_stores(tables: StaffTables, client: Any | None = None) -> StaffStores:
    if client is None:
        client = default_client() if tables.region is None else _regional_client(tables.region)
    return StaffStores(
        accounts=DynamoDBAccountStore(tables.accounts, client),
        sessions=DynamoDBSessionStore(tables.sessions, client),
        audit=DynamoDBAuditLog(tables.audit, client),
        where=f"DynamoDB {tables.accounts} / {tables.sessions} / {tables.audit}",
    )


def _regional_client(region: str) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name=region)
