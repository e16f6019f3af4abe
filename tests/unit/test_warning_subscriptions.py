"""Subscriptions to the warnings topic that SNS has not confirmed yet (moto confirms at once,
SNS waits for the address to click): nothing can be changed until then, and it says so."""

from __future__ import annotations

from typing import Any

import pytest

from manyi.results.warning_subscriptions import (
    PENDING,
    SubscriptionRefused,
    department_filter,
    subscribe,
    subscriptions,
    unsubscribe,
)

TOPIC = "arn:aws-cn:sns:cn-north-1:123456789012:manyi-warnings"


class UnconfirmedSns:
    """SNS as it answers before an e-mail address confirms its subscription."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "list_subscriptions_by_topic"
        item = {"SubscriptionArn": PENDING, "Protocol": "email", "Endpoint": "clerk@x.example.cn"}
        return type("Pages", (), {"paginate": lambda _, **__: [{"Subscriptions": [item]}]})()

    def __getattr__(self, name: str) -> Any:
        def call(**request: Any) -> Any:
            self.calls.append(name)
            raise AssertionError(f"{name} must not be called for a pending subscription")

        return call


def test_a_pending_subscription_is_listed_and_left_alone_until_confirmed() -> None:
    sns = UnconfirmedSns()
    [found] = subscriptions(sns, TOPIC)
    assert found.pending
    assert found.departments == ()
    with pytest.raises(SubscriptionRefused, match="has not confirmed"):
        subscribe(sns, TOPIC, "CLERK@x.example.cn", departments=["sifaju"])
    with pytest.raises(SubscriptionRefused, match="lapses by itself"):
        unsubscribe(sns, TOPIC, "clerk@x.example.cn")
    assert sns.calls == []


def test_a_request_says_whose_warnings() -> None:
    with pytest.raises(SubscriptionRefused, match="either --office or"):
        subscribe(UnconfirmedSns(), TOPIC, "a@x.example.cn")
    with pytest.raises(SubscriptionRefused, match="either --office or"):
        subscribe(UnconfirmedSns(), TOPIC, "a@x.example.cn", departments=["sifaju"], office=True)
    assert department_filter(["b", "a", "b"]) == {
        "audience": ["department"],
        "department": ["a", "b"],
    }
