"""Writing the audit log: one event per write, and the words the audit page shows for each.

Targets name what changed, one history per target: `account/<username>`,
`served/<YYYY-MM>/<department>`, `month/<YYYY-MM>`, `flag/<YYYY-MM>/<department>` (an
integrity flag's review and explanations). Later issues add their own (entries, imports,
cases) with their own actions.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from manyi.store.staff.base import AuditEvent, AuditLog
from manyi.submission import utc_timestamp

ACTIONS = {
    "account.add": "新建账号",
    "account.disable": "停用账号",
    "account.enable": "启用账号",
    "account.reset": "重置密码",
    "password.change": "修改密码",
    "login": "登录",
    "login.failed": "登录失败",
    "logout": "退出登录",
    "served.set": "填报服务对象数",
    "month.close": "关账",
    "month.reopen": "重新开账",
    "batch.create": "新建录入批次",
    "batch.first_done": "第一遍录入完成",
    "batch.second_done": "第二遍录入完成（有差异）",
    "batch.finish": "录入批次完成并计入",
    "entry.save": "录入问卷",
    "entry.correct": "更正问卷",
    "entry.void": "作废问卷",
    "entry.policy": "设置双录入要求",
    "import.stored": "导入问卷（Excel/CSV）",
    "complaint.status": "投诉办理",
    "complaint.assign": "分派投诉",
    "complaint.contact": "查看投诉人联系方式",
    "complaint.purge": "删除到期投诉的个人信息",
    "complaint.handlers": "设置投诉办理人",
    "followup.import": "导入回访案件",
    "followup.draw": "抽取回访案件",
    "followup.visitor": "登记回访人员",
    "followup.assign": "分配回访人员",
    "followup.assign_refused": "拒绝分配（承办人不能回访）",
    "followup.view": "查看当事人信息",
    "followup.attempt": "记录回访",
    "followup.link": "生成自助回访链接",
    "followup.link_answer": "当事人通过链接完成回访",
    "followup.problem_close": "记录问题整改",
    "followup.purge": "删除到期个人信息",
    "flag.review": "核查预警",
    "flag.explain": "说明预警",
}


def account_target(username: str) -> str:
    return f"account/{username}"


def served_target(month: str, department: str) -> str:
    return f"served/{month}/{department}"


def batch_target(batch_id: str) -> str:
    return f"batch/{batch_id}"


def month_target(month: str) -> str:
    return f"month/{month}"


def flag_target(month: str, department: str) -> str:
    return f"flag/{month}/{department}"


def complaint_target(number: str) -> str:
    return f"complaint/{number}"


def record(
    log: AuditLog,
    now: datetime,
    actor: str,
    action: str,
    target: str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    departments: Iterable[str] = (),
) -> AuditEvent:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        at=utc_timestamp(now),
        event_id=secrets.token_hex(8),
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        departments=tuple(departments),
    )
    log.append(event)
    return event
