"""`manyi alerts --month YYYY-MM [--department ID] [--format text|json]`: the month's warnings.

What the office and the departments are warned of before the 28th (manyi.alerts): coverage at
the close at the current pace, silent departments, problem rates and satisfaction that moved
sharply against the previous 3 months. Exit status 0 either way: a warning is not an error.

`manyi alerts subscribe | unsubscribe | subscriptions`: who receives them by e-mail in AWS, an
address for the office's digest or for its departments' warnings only
(manyi.results.warning_subscriptions).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from manyi.cli.common import CommandError, add_questionnaire_option, questionnaire_of
from manyi.cli.results_options import (
    add_backend_options,
    add_region_option,
    close_store,
    department_option,
    month_type,
    open_results,
)
from manyi.results.warning_subscriptions import TOPIC_VARIABLE

if TYPE_CHECKING:
    from manyi.results.warning_subscriptions import WarningSubscription


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "alerts",
        help="list the month's warnings: pace to the close, silent departments, sharp changes",
    )
    # Not required by argparse: the subscription actions have no month (checked in run).
    parser.add_argument("--month", type=month_type, metavar="YYYY-MM")
    parser.add_argument("--department", metavar="ID", help="one department only (ID or name)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--at",
        metavar="ISO-TIME",
        help="compute as of this moment (e.g. 2026-11-20T09:00+08:00); default: now",
    )
    add_backend_options(parser)
    add_questionnaire_option(parser)
    parser.set_defaults(run=run)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    subscribe = actions.add_parser(
        "subscribe",
        help="e-mail the warnings of some departments (or the office's digest) to an address",
    )
    subscribe.add_argument("--email", required=True, help="the address; it confirms by e-mail")
    whose = subscribe.add_mutually_exclusive_group(required=True)
    whose.add_argument(
        "--department", action="append", metavar="ID", help="a department it serves (repeat)"
    )
    whose.add_argument("--office", action="store_true", help="the office's digest of all")
    unsubscribe = actions.add_parser(
        "unsubscribe", help="stop the warnings to an address (or some departments' only)"
    )
    unsubscribe.add_argument("--email", required=True)
    unsubscribe.add_argument(
        "--department", action="append", metavar="ID", help="only this department's (repeat)"
    )
    listing = actions.add_parser("subscriptions", help="list who receives the warnings")
    for action in (subscribe, unsubscribe, listing):
        _add_topic_options(action)
        add_questionnaire_option(action)
        action.set_defaults(run=run_subscriptions)


def _add_topic_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--topic-arn",
        metavar="ARN",
        default=os.environ.get(TOPIC_VARIABLE),
        help=f"the warnings topic (default: ${TOPIC_VARIABLE})",
    )
    where.add_argument("--stack", metavar="NAME", help="the stack whose warnings topic to use")
    add_region_option(parser)


def run(args: argparse.Namespace) -> int:
    from manyi.alerts import month_alerts

    if args.month is None:
        raise CommandError("--month YYYY-MM is required (or an action: subscribe, ...)")
    questionnaire = questionnaire_of(args)
    now = _moment(args.at)
    department = department_option(questionnaire, args.department) if args.department else None
    store = open_results(args)
    try:
        alerts = month_alerts(questionnaire, store, args.month, now, department)
    finally:
        close_store(store)
    if args.format == "json":
        body = {"month": args.month, "at": now.isoformat(), "alerts": [a.to_dict() for a in alerts]}
        print(json.dumps(body, ensure_ascii=False, indent=2))
    elif not alerts:
        print(f"{args.month}：没有需要提醒的情况。")
    else:
        print(f"{args.month}：{len(alerts)} 条提醒")
        for alert in alerts:
            print(f"- {alert.text}")
    sys.stdout.flush()
    return 0


def _moment(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--at {text!r} is not an ISO time like 2026-11-20T09:00+08:00"
        ) from None
    if moment.tzinfo is None:
        raise CommandError(f"--at {text!r} needs a time zone, e.g. +08:00")
    return moment


def run_subscriptions(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from manyi.store.aws_errors import store_error

    questionnaire = questionnaire_of(args)
    departments = [department_option(questionnaire, d) for d in args.department or ()]
    names = {d.id: d.name for d in questionnaire.departments}
    where = f"the stack {args.stack}" if args.stack else "the warnings topic"
    try:
        client, topic = _topic(args)
        where = f"SNS topic {topic}"
        for line in _act(args, client, topic, departments, names):
            print(line)
    except (BotoCoreError, ClientError) as error:
        raise store_error(error, where) from None
    return 0


def _act(
    args: argparse.Namespace, client: Any, topic: str, departments: list[str], names: dict[str, str]
) -> list[str]:
    from manyi.results.warning_subscriptions import subscribe, subscriptions, unsubscribe

    email = getattr(args, "email", "").strip()
    if args.action == "subscribe":
        outcome, made = subscribe(client, topic, email, departments=departments, office=args.office)
        lines = [f"{outcome}: {_line(made, names)}"]
        if made.pending:
            lines.append(f"{email} receives nothing until it confirms the e-mail from AWS.")
        return lines
    if args.action == "unsubscribe":
        outcome, left = unsubscribe(client, topic, email, departments=departments)
        return [f"{outcome}: {_line(left, names) if left else email}"]
    found = subscriptions(client, topic)
    return [_line(s, names) for s in found] or [f"no one is subscribed to {topic}"]


def _line(subscription: WarningSubscription, names: dict[str, str]) -> str:
    if subscription.pending:
        whom = "not confirmed yet: receives nothing"
    elif subscription.office:
        whom = "the office's digest"
    else:
        whom = ", ".join(
            f"{d} {names.get(d, '(not in questionnaire.yaml)')}" for d in subscription.departments
        )
    return f"{subscription.endpoint}: {whom}"


def _topic(args: argparse.Namespace) -> tuple[Any, str]:
    """The SNS client and the warnings topic's ARN (given, or the stack's output)."""
    import boto3

    if args.stack:
        from manyi.deploy.stack import stack_outputs

        cloudformation = boto3.client("cloudformation", region_name=args.region)
        topic = stack_outputs(cloudformation, args.stack).get("WarningsTopicArn")
        if not topic:
            raise CommandError(
                f"stack {args.stack} has no WarningsTopicArn output: deploy it again"
            )
    elif args.topic_arn:
        topic = args.topic_arn
    else:
        raise CommandError(f"say --topic-arn ARN or --stack NAME (or set ${TOPIC_VARIABLE})")
    return boto3.client("sns", region_name=args.region or _region_of(topic)), topic


def _region_of(topic_arn: str) -> str | None:
    """arn:aws-cn:sns:cn-north-1:…: the topic's own region when none is given."""
    parts = topic_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None
