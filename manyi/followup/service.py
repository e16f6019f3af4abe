"""The follow-up's operations: import, draw, assign, call, link, problem items, purge.

Each joins the pure parts to the case store, the sealer and the audit log. Every write is
audited; every view of a party's name or phone is audited too. Audit events and errors carry
case numbers, codes and counts, never what a party is called, their number or their words.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from manyi.answers import check_questions
from manyi.calendar import DEFAULT_ZONE, next_month, previous_month
from manyi.errors import ManyiError
from manyi.followup.config import FollowupConfig
from manyi.followup.disposition import is_done
from manyi.followup.importing import FIELD_NAMES, CaseFile, CaseRow, ImportRefused
from manyi.followup.sampling import candidates, draw
from manyi.sealing import Sealer
from manyi.store.cases.base import (
    OUTCOMES,
    Attempt,
    Case,
    CaseStore,
    Draw,
    Problem,
    Visitor,
    case_id_of,
)
from manyi.store.staff.base import AuditLog
from manyi.submission import utc_timestamp
from manyi.workdays import UnknownCalendarYear, add_working_days
from manyi.workspace.audit import record

SEAL_KIND = "followup"
MAX_NOTE = 500
MAX_REPORTED = 1000
LINK_SECRET_BYTES = 24


class FollowupRefused(ManyiError):
    """An operation refused, with what the person should know, in Chinese."""

    def __init__(self, chinese: str, status: int = 400) -> None:
        super().__init__(chinese)
        self.chinese = chinese
        self.status = status


@dataclass
class Followup:
    store: CaseStore
    audit: AuditLog
    # None when no key is configured: cases can be counted but nothing personal is sealed
    # or opened, so an import and the call screen refuse.
    sealer: Sealer | None

    def need_sealer(self) -> Sealer:
        if self.sealer is None:
            raise FollowupRefused(
                "未配置个人信息加密密钥，无法导入或查看当事人信息，请联系管理员。", 503
            )
        return self.sealer


def case_target(case: Case) -> str:
    return f"case/{case.department}/{case.case_number}"


def today_in_beijing(now: datetime) -> date:
    return now.astimezone(DEFAULT_ZONE).date()


# -- import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    added: int
    existing: int


# What a re-import must agree on with the stored case. The party's fields are sealed and not
# compared (that would open every record); the draw and the visit are the follow-up's own.
COMPARED = ("kind", "procedure", "closed_on", "handler_id", "handler_name")


def import_cases(
    fu: Followup, department: str, case_file: CaseFile, now: datetime, actor: str
) -> ImportSummary:
    """Store a checked file's cases. A case number stored already is left untouched; stored
    with other facts (another handler, date or kind), it refuses the whole file, so that a
    correction is never dropped without a word (the handler rule depends on those facts)."""
    sealer = fu.need_sealer()
    stored = _stored_near(fu.store, department, case_file.rows)
    changed = _differing(department, case_file.rows, stored)
    if changed:
        raise ImportRefused(changed)
    at = utc_timestamp(now)
    cases = []
    for row in case_file.rows:
        case = Case(
            department=department,
            case_number=row.case_number,
            kind=row.kind,
            procedure=row.procedure,
            closed_on=row.closed_on.isoformat(),
            handler_id=row.handler_id,
            handler_name=row.handler_name,
            party=None,
            imported_at=at,
            import_file=case_file.sha256,
        )
        if case.case_id in stored:
            continue  # there already: no data key made for nothing
        party = sealer.seal(
            case.case_id, {"party_name": row.party_name, "party_phone": row.party_phone}
        )
        cases.append(replace(case, party=party))
    added = fu.store.add_cases(cases)
    rows = len(case_file.rows)
    summary = ImportSummary(rows, len(added), rows - len(added))
    record(
        fu.audit, now, actor, "followup.import", f"import/{department}/{case_file.sha256[:16]}",
        after={"rows": summary.rows, "added": summary.added, "existing": summary.existing,
               "file_sha256": case_file.sha256},
        departments=(department,),
    )  # fmt: skip
    return summary


def _stored_near(store: CaseStore, department: str, rows: tuple[CaseRow, ...]) -> dict[str, Case]:
    """The department's stored cases of the file's months and the months next to them: a case
    is kept under the month it closed in, so a corrected date may have moved it."""
    months = {row.closed_on.isoformat()[:7] for row in rows}
    near = months | {previous_month(m) for m in months} | {next_month(m) for m in months}
    return {case.case_id: case for m in sorted(near) for case in store.month(department, m)}


def _differing(department: str, rows: tuple[CaseRow, ...], stored: dict[str, Case]) -> list[str]:
    """Each row whose case number is stored with other facts, in Chinese."""
    problems = []
    for row in rows:
        case = stored.get(case_id_of(department, row.case_number))
        if case is None:
            continue
        given = {name: str(getattr(row, name)) for name in COMPARED}
        fields = [FIELD_NAMES[name] for name in COMPARED if getattr(case, name) != given[name]]
        if fields:
            problems.append(
                f"第 {row.line} 行：这个案件编号已经导入过，但“{'”“'.join(fields)}”与已导入的不同。"
                "已导入的案件不会被改动：请核对导出表；如已导入的有误，请联系办公室。"
            )
    return problems


# -- the draw and the assignment ------------------------------------------------------------


def draw_month(
    fu: Followup,
    config: FollowupConfig,
    department: str,
    month: str,
    now: datetime,
    actor: str,
    seed: int | None = None,
) -> Draw:
    """Draw the month's cases not drawn yet, with a new seed unless one is given; recorded."""
    cases = fu.store.month(department, month)
    as_of = today_in_beijing(now)
    pool = candidates(cases, config.max_age_days, as_of)
    rates = config.rates_for(department)
    seed = secrets.randbits(63) if seed is None else seed
    chosen = draw(pool, rates, seed)
    recorded = Draw(
        draw_id=secrets.token_hex(8),
        department=department,
        month=month,
        at=utc_timestamp(now),
        actor=actor,
        seed=seed,
        rates=rates,
        max_age_days=config.max_age_days,
        as_of=as_of.isoformat(),
        candidates=tuple(c.case_id for c in pool),
        drawn=tuple(chosen),
    )
    fu.store.add_draw(recorded)
    picked = set(chosen)
    for case in pool:
        if case.case_id in picked:
            fu.store.replace(case.next_version(draw_id=recorded.draw_id))
    record(
        fu.audit, now, actor, "followup.draw", f"draw/{department}/{month}",
        after={"draw_id": recorded.draw_id, "seed": seed, "candidates": len(pool),
               "drawn": len(chosen), "rates": dict(rates), "as_of": recorded.as_of},
        departments=(department,),
    )  # fmt: skip
    return recorded


def register_visitor(
    fu: Followup, username: str, staff_id: str, now: datetime, actor: str
) -> Visitor:
    staff_id = staff_id.strip()
    if not staff_id or len(staff_id) > 40:
        raise FollowupRefused("请填写回访人员的执法证号或工号（最多 40 个字符）。")
    before = fu.store.visitor(username)
    visitor = Visitor(username, staff_id, utc_timestamp(now), actor)
    fu.store.put_visitor(visitor)
    record(
        fu.audit, now, actor, "followup.visitor", f"visitor/{username}",
        before=None if before is None else {"staff_id": before.staff_id},
        after={"staff_id": staff_id},
    )  # fmt: skip
    return visitor


def same_person(handler_id: str, visitor: Visitor) -> bool:
    """The handler rule: IDs compared without case and spaces, against the visitor's staff ID
    and the account name (some offices use the staff number as the login)."""

    def norm(text: str) -> str:
        return "".join(text.split()).upper()

    return norm(handler_id) in (norm(visitor.staff_id), norm(visitor.username))


def assign(fu: Followup, case: Case, username: str, now: datetime, actor: str) -> Case:
    """Give a drawn case to a registered visitor; never to the person who handled it."""
    if not case.drawn:
        raise FollowupRefused("这件案件没有被抽中，不需要回访。", 409)
    if case.done:
        raise FollowupRefused("这件案件的回访已经结束，不能再分配。", 409)
    visitor = fu.store.visitor(username)
    if visitor is None:
        raise FollowupRefused("这个账号还没有登记为回访人员（需登记执法证号或工号）。")
    if same_person(case.handler_id, visitor):
        record(
            fu.audit, now, actor, "followup.assign_refused", case_target(case),
            after={"visitor": username, "reason": "handler"}, departments=(case.department,),
        )  # fmt: skip
        raise FollowupRefused(
            "不能分配：回访人员就是这件案件的承办人。回访人员和办案人员必须分离，请另选一位回访人员。",
            409,
        )
    changed = case.next_version(visitor=username, assigned_at=utc_timestamp(now))
    fu.store.replace(changed)
    record(
        fu.audit, now, actor, "followup.assign", case_target(case),
        before={"visitor": case.visitor or None}, after={"visitor": username},
        departments=(case.department,),
    )  # fmt: skip
    return changed


# -- the call ---------------------------------------------------------------------------------


def open_party(fu: Followup, case: Case, now: datetime, actor: str) -> dict[str, str]:
    """The party's name and phone, for the assigned visitor or the office; the view audited."""
    if case.party is None:
        return {}
    opened = fu.need_sealer().open(case.case_id, case.party)
    record(
        fu.audit, now, actor, "followup.view", case_target(case),
        after={"fields": sorted(opened)}, departments=(case.department,),
    )  # fmt: skip
    return opened


def open_notes(fu: Followup, case: Case) -> list[str]:
    """The visitor's notes (shown with the party's data, whose view is audited)."""
    sealer = fu.need_sealer()
    notes = []
    for n, attempt in enumerate(case.attempts):
        if attempt.note is not None:
            notes.append(sealer.open(f"{case.case_id}/note/{n}", attempt.note)["note"])
        else:
            notes.append("")
    return notes


def check_form(
    config: FollowupConfig, raw: Mapping[str, object], text: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The follow-up answers normalized, or the problems by question ID (Chinese)."""
    checked = check_questions(config.questions, raw)
    problems = {e.question: e.message for e in checked.errors}
    if len(text) > MAX_REPORTED:
        problems[config.text_id] = f"最多 {MAX_REPORTED} 个字。"
    return dict(checked.answers), problems


def record_attempt(
    fu: Followup,
    config: FollowupConfig,
    case: Case,
    outcome: str,
    note: str,
    answers: Mapping[str, Any],
    reported: str,
    now: datetime,
    actor: str,
) -> Case:
    """One call attempt with its outcome; a completed one carries the checked answers."""
    if case.done:
        raise FollowupRefused("这件案件的回访已经结束。", 409)
    if outcome not in OUTCOMES:
        raise FollowupRefused("请选择这次联系的结果。")
    if len(note) > MAX_NOTE:
        raise FollowupRefused(f"备注最多 {MAX_NOTE} 个字。")
    sealer = fu.need_sealer()
    n = len(case.attempts)
    sealed_note = sealer.seal(f"{case.case_id}/note/{n}", {"note": note}) if note else None
    attempt = Attempt(utc_timestamp(now), actor, outcome, sealed_note)
    changed = case.next_version(attempts=(*case.attempts, attempt))
    if outcome == "completed":
        changed = _answered(fu, config, changed, answers, reported, "call", now)
    if is_done(changed, config.max_attempts) and not changed.done_at:
        changed = replace(changed, done_at=utc_timestamp(now))
    fu.store.replace(changed)
    record(
        fu.audit, now, actor, "followup.attempt", case_target(case),
        after={"attempt": n + 1, "outcome": outcome, "done": changed.done,
               "problem": changed.problem is not None},
        departments=(case.department,),
    )  # fmt: skip
    return changed


def _answered(
    fu: Followup,
    config: FollowupConfig,
    case: Case,
    answers: Mapping[str, Any],
    reported: str,
    via: str,
    now: datetime,
) -> Case:
    sealed = (
        fu.need_sealer().seal(f"{case.case_id}/reported", {"text": reported}) if reported else None
    )
    reasons = [
        question.id
        for question in config.questions
        if any(
            (o := question.option(chosen)) is not None and o.valence == "unfavourable"
            for chosen in _chosen(answers.get(question.id))
        )
    ]
    if reported:
        reasons.append(config.text_id)
    problem = None
    if reasons:
        problem = Problem(
            opened_at=utc_timestamp(now),
            deadline=problem_deadline(today_in_beijing(now), config.problem_days).isoformat(),
            reasons=tuple(reasons),
        )
    return replace(
        case,
        answers=dict(answers),
        form_version=config.version,
        answered_via=via,
        reported=sealed,
        problem=problem,
        done_at=utc_timestamp(now),
    )


def _chosen(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def problem_deadline(day: date, working_days: int) -> date:
    """`working_days` on the statutory calendar; beyond the years it knows, weekdays only
    (the closest safe reading: it never counts a weekend as a working day)."""
    try:
        return add_working_days(day, working_days)
    except UnknownCalendarYear:
        count, current = 0, day
        while count < working_days:
            current += timedelta(days=1)
            if current.weekday() < 5:
                count += 1
        return current


# -- the self-service link ------------------------------------------------------------------


def _link_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_link(
    fu: Followup, config: FollowupConfig, case: Case, now: datetime, actor: str
) -> tuple[Case, str]:
    """A new link token for the case (any earlier one stops working): `<case key>.<secret>`.
    Only the secret's hash is stored, so the table cannot make a link."""
    if case.done:
        raise FollowupRefused("这件案件的回访已经结束，不能再发链接。", 409)
    secret = secrets.token_urlsafe(LINK_SECRET_BYTES)
    expires = now + timedelta(days=config.link_days)
    changed = case.next_version(
        link_hash=_link_hash(secret), link_expires_at=utc_timestamp(expires), link_used_at=""
    )
    fu.store.replace(changed)
    record(
        fu.audit, now, actor, "followup.link", case_target(case),
        after={"expires_at": changed.link_expires_at}, departments=(case.department,),
    )  # fmt: skip
    token = f"{case.department}.{case.month}.{case.case_id}.{secret}"
    return changed, token


LinkState = str  # "ok", "expired", "used", "unknown"


def find_link(fu: Followup, token: str, now: datetime) -> tuple[Case | None, LinkState]:
    """The case a link token opens, and whether it may still be answered."""
    parts = token.split(".")
    if len(parts) != 4 or not all(parts):
        return None, "unknown"
    department, month, case_id, secret = parts
    if len(month) != 7 or len(case_id) != 20 or len(secret) > 64:
        return None, "unknown"
    case = fu.store.get(department, month, case_id)
    if case is None or not case.link_hash:
        return None, "unknown"
    if not hmac.compare_digest(case.link_hash, _link_hash(secret)):
        return None, "unknown"
    if case.link_used_at or case.answered_via:
        return case, "used"
    if utc_timestamp(now) >= case.link_expires_at:
        return case, "expired"
    return case, "ok"


def finish_link(
    fu: Followup,
    config: FollowupConfig,
    case: Case,
    answers: Mapping[str, Any],
    reported: str,
    now: datetime,
) -> Case:
    """The party's answers through the link: the link is used up by this, not by opening it.
    The write names the version read, so two tabs finishing at once store one answer."""
    changed = _answered(fu, config, case.next_version(), answers, reported, "link", now)
    changed = replace(changed, link_used_at=utc_timestamp(now))
    fu.store.replace(changed)
    record(
        fu.audit, now, "party:link", "followup.link_answer", case_target(case),
        after={"problem": changed.problem is not None}, departments=(case.department,),
    )  # fmt: skip
    return changed


# -- problem items and the purge --------------------------------------------------------------


def close_problem(fu: Followup, case: Case, action: str, now: datetime, actor: str) -> Case:
    action = " ".join(action.split())
    if case.problem is None or case.problem.closed_at:
        raise FollowupRefused("这件案件没有待处理的问题。", 409)
    if not action or len(action) > MAX_NOTE:
        raise FollowupRefused(f"请写明部门采取了什么措施（1 至 {MAX_NOTE} 个字）。")
    problem = replace(case.problem, action=action, closed_at=utc_timestamp(now), closed_by=actor)
    changed = case.next_version(problem=problem)
    fu.store.replace(changed)
    record(
        fu.audit, now, actor, "followup.problem_close", case_target(case),
        after={"action": action}, departments=(case.department,),
    )  # fmt: skip
    return changed


def purge(fu: Followup, config: FollowupConfig, now: datetime, actor: str) -> int:
    """Remove the sealed personal fields of cases done more than `retention_days` ago; the
    case, its outcome codes and answers stay, so every figure stays the same."""
    cutoff = utc_timestamp(now - timedelta(days=config.retention_days))
    purged = 0
    for case in fu.store.done_with_personal(cutoff):
        attempts = tuple(replace(a, note=None) for a in case.attempts)
        fu.store.replace(
            case.next_version(
                party=None, reported=None, attempts=attempts, purged_at=utc_timestamp(now)
            )
        )
        purged += 1
    if purged:
        record(
            fu.audit, now, actor, "followup.purge", "followup/purge",
            after={"cases": purged, "done_before": cutoff},
        )  # fmt: skip
    return purged
