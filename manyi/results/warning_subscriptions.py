"""Who gets the warnings by e-mail: subscriptions to the warnings topic, each with its filter.

The aggregator publishes one message per department (message attributes `audience=department`,
`department=<id>`) and a digest for the office (`audience=office`), manyi.results.warnings.
An address subscribes either to the office's digest or to the messages of the departments it
serves: SNS keeps one subscription per address and topic, and its filter policy on the message
attributes decides what reaches it, so a clerk of 司法局 never receives 公安局's warnings. A
new address confirms by the e-mail SNS sends; until then its filter cannot be changed.

`manyi alerts subscribe | unsubscribe | subscriptions` calls these; the stack's parameter
`WarningsEmail` subscribes the office's first address when it is deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from manyi.errors import ManyiError

# Where the functions find the topic's ARN (the aggregator's environment, the CLI's default).
TOPIC_VARIABLE = "WARNINGS_TOPIC"
PENDING = "PendingConfirmation"
OFFICE_FILTER: dict[str, list[str]] = {"audience": ["office"]}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Outcome = Literal["subscribed", "changed", "unchanged", "unsubscribed"]


class SubscriptionRefused(ManyiError):
    """A subscription cannot be made or changed as asked; the message says why and what to do."""


def department_filter(departments: Iterable[str]) -> dict[str, list[str]]:
    """The filter policy of an address that serves these departments."""
    return {"audience": ["department"], "department": sorted(set(departments))}


@dataclass(frozen=True)
class WarningSubscription:
    endpoint: str  # the e-mail address (or, in tests, a queue)
    protocol: str
    arn: str  # PENDING in a listing until the address confirms
    office: bool
    departments: tuple[str, ...]
    pending: bool = False  # the address has not confirmed yet: it receives nothing

    def policy(self) -> dict[str, list[str]]:
        return OFFICE_FILTER if self.office else department_filter(self.departments)


def subscriptions(client: Any, topic_arn: str) -> list[WarningSubscription]:
    """Every subscription of the topic with what it receives (a pending one: not known yet)."""
    found = []
    for page in client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for item in page["Subscriptions"]:
            arn = item["SubscriptionArn"]
            policy: dict[str, Any] = {}
            if arn != PENDING:
                attributes = client.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
                policy = json.loads(attributes.get("FilterPolicy") or "{}")
            found.append(
                WarningSubscription(
                    endpoint=item["Endpoint"],
                    protocol=item["Protocol"],
                    arn=arn,
                    office=policy.get("audience") == ["office"],
                    departments=tuple(policy.get("department", ())),
                    pending=arn == PENDING,
                )
            )
    return sorted(found, key=lambda s: (not s.office, s.departments, s.endpoint))


def subscribe(
    client: Any,
    topic_arn: str,
    endpoint: str,
    *,
    departments: Sequence[str] = (),
    office: bool = False,
    protocol: str = "email",
) -> tuple[Outcome, WarningSubscription]:
    """Let `endpoint` receive the office's digest, or the warnings of `departments` as well as
    those it receives already. Idempotent: the same request twice changes nothing."""
    if bool(departments) == office:
        raise SubscriptionRefused("say either --office or at least one --department")
    if protocol == "email" and not EMAIL.match(endpoint):
        raise SubscriptionRefused(f"{endpoint!r} is not an e-mail address")
    existing = _of_endpoint(client, topic_arn, endpoint, protocol)
    if existing is None:
        wanted = WarningSubscription(endpoint, protocol, "", office, tuple(sorted(departments)))
        arn = client.subscribe(
            TopicArn=topic_arn,
            Protocol=protocol,
            Endpoint=endpoint,
            Attributes=_attributes(wanted.policy()),
            ReturnSubscriptionArn=True,  # the ARN even before the address confirms
        )["SubscriptionArn"]
        attributes = client.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        pending = attributes.get("PendingConfirmation") == "true"
        return "subscribed", replace(wanted, arn=arn, pending=pending)
    if existing.pending:
        raise SubscriptionRefused(
            f"{endpoint} has not confirmed its subscription yet: open the e-mail from AWS "
            "Notifications, confirm, then run this again"
        )
    if existing.office != office:
        held = "the office's digest" if existing.office else "department warnings"
        raise SubscriptionRefused(
            f"{endpoint} receives {held}: one address receives either the office's digest or "
            "departments' warnings; unsubscribe it first, or use another address"
        )
    changed = replace(existing, departments=tuple(sorted({*existing.departments, *departments})))
    if changed == existing:
        return "unchanged", existing
    _set_policy(client, changed)
    return "changed", changed


def unsubscribe(
    client: Any,
    topic_arn: str,
    endpoint: str,
    *,
    departments: Sequence[str] = (),
    protocol: str = "email",
) -> tuple[Outcome, WarningSubscription | None]:
    """Stop `departments`' warnings to `endpoint` (all of them: the subscription goes)."""
    existing = _of_endpoint(client, topic_arn, endpoint, protocol)
    if existing is None:
        raise SubscriptionRefused(f"{endpoint} is not subscribed to the warnings")
    if existing.pending:
        raise SubscriptionRefused(
            f"{endpoint} has not confirmed its subscription: an unconfirmed subscription "
            "lapses by itself after three days"
        )
    left = tuple(d for d in existing.departments if d not in departments)
    if departments and existing.office:
        raise SubscriptionRefused(f"{endpoint} receives the office's digest, no department's")
    if departments and left == existing.departments:
        return "unchanged", existing
    if departments and left:
        changed = replace(existing, departments=left)
        _set_policy(client, changed)
        return "changed", changed
    client.unsubscribe(SubscriptionArn=existing.arn)
    return "unsubscribed", None


def _of_endpoint(
    client: Any, topic_arn: str, endpoint: str, protocol: str
) -> WarningSubscription | None:
    # SNS compares addresses as given; people type them in any case.
    wanted = endpoint.strip().lower()
    for found in subscriptions(client, topic_arn):
        if found.protocol == protocol and found.endpoint.strip().lower() == wanted:
            return found
    return None


def _attributes(policy: dict[str, list[str]]) -> dict[str, str]:
    return {"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"}


def _set_policy(client: Any, subscription: WarningSubscription) -> None:
    client.set_subscription_attributes(
        SubscriptionArn=subscription.arn,
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps(subscription.policy()),
    )
