"""Staff entry: a department's batches of phone, meeting, visit and paper questionnaires, keyed
one after another (with JavaScript, without a reload; without it, one plain form each), the
last one corrected or voided, double entry compared and resolved, the batch finished into the
submission store.

Every write is in the audit log under `batch/<batch ID>` with the account that made it; the
stored responses carry only the channel, the questionnaire version and the answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.event_handler import Response

from manyi.answers import AnswerError
from manyi.model import AnswerValue, Department, Questionnaire
from manyi.staff_entry import (
    Difference,
    differences,
    kept,
    keyed_answers,
    new_batch_id,
    new_entry_id,
    resolved,
    responses,
    staff_channels,
)
from manyi.store.entry.base import (
    BATCH_ID_PATTERN,
    ENTRY_ID_PATTERN,
    Batch,
    BatchConflict,
    Entry,
    EntryPolicy,
    EntryStore,
)
from manyi.submission import utc_timestamp
from manyi.workspace.access import Call, message_page
from manyi.workspace.audit import batch_target
from manyi.workspace.context import PREFIX
from manyi.workspace.http import Answered, json_answer, redirect
from manyi.workspace.render import script

MAX_PLACE = 60
STATUS_TEXT = {
    "open": "录入中",
    "second": "等待第二遍录入",
    "compare": "核对两遍差异",
    "done": "已完成，已计入结果",
}


def _store(call: Call) -> EntryStore:
    """The entry store (with the submission store it finishes batches into); the page saying
    there is none (503) answers otherwise."""
    if call.ws.entry is None or call.ws.intake is None:
        raise Answered(
            message_page(call, 503, "暂不能录入", "本系统没有配置录入存储，请联系管理员。")
        )
    return call.ws.entry


def home(call: Call, status: int = 200, problem: str = "") -> Response[str]:
    """The department's batches, a new batch, and the Excel and case-export tools."""
    department, store = _department_store(call)
    questionnaire = call.ws.questionnaire()
    return call.page(
        "entry_home.html.j2",
        status,
        title=f"问卷录入 · {department.name}",
        department=department,
        channels=staff_channels(questionnaire),
        batches=store.batches(department.id),
        names={c.id: c.name for c in questionnaire.channels},
        status_text=STATUS_TEXT,
        policy=store.policy(),
        problem=problem,
        today=call.calendar().today(call.ws.clock()).isoformat(),
        max_place=MAX_PLACE,
    )


def batch_new(call: Call) -> Response[str]:
    department, store = _department_store(call)
    questionnaire = call.ws.questionnaire()
    channel = questionnaire.channel(call.request.field("channel", 40))
    if channel is None or channel.entry != "staff":
        return home(call, 400, "请选择录入渠道（电话回访、座谈会、上门走访或纸质问卷）。")
    meeting_date = call.request.field("meeting_date", 20)
    place = " ".join(call.request.field("meeting_place", 200).split())
    if channel.id == "meeting" and not _is_date(meeting_date):
        return home(call, 400, "座谈会请填写日期（如 2026-11-20）。")
    if len(place) > MAX_PLACE:
        return home(call, 400, f"地点最多 {MAX_PLACE} 个字。")
    now = call.ws.clock()
    batch = Batch(
        batch_id=new_batch_id(now),
        department=department.id,
        channel=channel.id,
        created_by=call.me.username,
        created_at=utc_timestamp(now),
        meeting_date=meeting_date if _is_date(meeting_date) else "",
        meeting_place=place,
        double_entry=store.policy().double_entry_required
        or call.request.field("double_entry") == "1",
    )
    store.add_batch(batch)
    _audit(call, batch, "batch.create", after=_batch_view(batch))
    return redirect(_batch_url(batch))


def batch_page(
    call: Call,
    status: int = 200,
    problem: str = "",
    errors: tuple[AnswerError, ...] = (),
    given: dict[str, list[str]] | None = None,
) -> Response[str]:
    store, batch = _batch(call)
    questionnaire = call.ws.questionnaire()
    pass_no = _keying_pass(batch)
    entries = store.entries(batch.batch_id, pass_no) if pass_no else []
    current = kept(entries)
    correcting = call.request.query.get("correct", "") or call.request.field("correct", 40)
    last = current[-1] if current else None
    if given is None and last is not None and correcting == last.entry_id:
        given = {k: [v] if isinstance(v, str) else list(v) for k, v in last.answers.items()}
    elif last is None or correcting != last.entry_id:
        correcting = ""
    first = kept(store.entries(batch.batch_id, 1))
    second = kept(store.entries(batch.batch_id, 2)) if batch.double_entry else []
    found_differences = (
        differences(questionnaire, first, second) if batch.status == "compare" else []
    )
    page = call.page(
        "entry_batch.html.j2",
        status,
        title=f"录入 · {_channel_name(questionnaire, batch.channel)}",
        department=call.department(),
        batch=batch,
        channel_name=_channel_name(questionnaire, batch.channel),
        status_text=STATUS_TEXT,
        pass_no=pass_no,
        may_key=_may_key(call, batch),
        count=len(current),
        voided=sum(1 for e in entries if e.void),
        last=last,
        last_text=_summary_text(questionnaire, last) if last else "",
        correcting=correcting,
        # A paper refused by the rules keeps its entry ID, so the corrected save is still one
        # paper; after any other form (a void's names the last paper) the next paper is new.
        entry_id=(call.request.path.endswith("/save") and call.request.field("entry_id", 60))
        or new_entry_id(),
        sections=_sections(questionnaire, call, given or {}, errors),
        errors=[(questionnaire.question(e.question), e.message) for e in errors],
        problem=problem,
        saved=call.request.query.get("saved", "")[:6],
        first_count=len(first),
        second_count=len(second),
        differences=[_difference_view(questionnaire, d) for d in found_differences],
        summary=_summary(questionnaire, first) if batch.status == "done" else [],
        script_url=f"{PREFIX}assets/{script()[0]}",
        base=_batch_url(batch),
    )
    # The one page with a script: the keying form's, from the workspace's own assets.
    csp = str(page.headers["Content-Security-Policy"])
    page.headers["Content-Security-Policy"] = csp.replace(
        "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
    )
    return page


def entry_save(call: Call) -> Response[Any]:
    """One keyed questionnaire: checked like a citizen's, stored once per entry ID."""
    store, batch, pass_no = _keying(
        call, "这一批现在不能录入（已结束，或第二遍须由另一账号录入）。"
    )
    entry_id = call.request.field("entry_id", 60)
    if not ENTRY_ID_PATTERN.fullmatch(entry_id):
        return _refuse(call, 400, "页面已过期，请刷新后重新录入这一份。")
    questionnaire = call.ws.questionnaire()
    checked = keyed_answers(questionnaire, call.request.form)
    if not checked.ok:
        if call.request.wants_json:
            body = {"errors": [e.to_dict() for e in checked.errors]}
            return json_answer(body, 422)
        form = {k: list(v) for k, v in call.request.form.items()}
        return batch_page(call, 422, "", checked.errors, form)
    now = call.ws.clock()
    correcting = call.request.field("correct", 60)
    if correcting:
        current = kept(store.entries(batch.batch_id, pass_no))
        if not current or current[-1].entry_id != correcting:
            return _refuse(call, 409, "只能更正最后保存的一份。")
        before = current[-1]
        after = replace(before, answers=checked.answers, revision=before.revision + 1)
        store.replace_entry(after)
        _audit(call, batch, "entry.correct", before=_entry_view(before), after=_entry_view(after))
    else:
        entry = Entry(batch.batch_id, pass_no, entry_id, utc_timestamp(now), questionnaire.version)
        stored, new = store.add_entry(replace(entry, answers=checked.answers))
        if new:
            _audit(call, batch, "entry.save", after=_entry_view(stored))
    current = kept(store.entries(batch.batch_id, pass_no))
    if call.request.wants_json:
        last = current[-1]
        return json_answer(
            {
                "count": len(current),
                "last": last.entry_id,
                "last_text": _summary_text(questionnaire, last),
                "next": new_entry_id(),
            },
            201,
        )
    return redirect(f"{_batch_url(batch)}?saved={len(current)}")


def entry_void(call: Call) -> Response[Any]:
    """Void the last saved questionnaire of the pass: flagged and audited, never deleted."""
    store, batch, pass_no = _keying(call, "这一批现在不能修改。")
    current = kept(store.entries(batch.batch_id, pass_no))
    if not current or current[-1].entry_id != call.request.field("entry_id", 60):
        return _refuse(call, 409, "只能作废最后保存的一份（页面可能已过期，请刷新）。")
    before = current[-1]
    after = replace(before, void=True, revision=before.revision + 1)
    store.replace_entry(after)
    _audit(call, batch, "entry.void", before=_entry_view(before), after={"void": True})
    return redirect(f"{_batch_url(batch)}?voided=1")


def batch_finish(call: Call) -> Response[Any]:
    """End the pass being keyed: into the submission store, or on to the second pass, or to
    the comparison of the two."""
    store, batch = _batch(call)
    if batch.status not in ("open", "second") or not _may_key(call, batch):
        return _refuse(call, 409, "这一批现在不能结束。")
    questionnaire = call.ws.questionnaire()
    first = kept(store.entries(batch.batch_id, 1))
    if not first:
        return batch_page(call, 400, "这一批还没有录入问卷。")
    me = call.me.username
    if batch.status == "open" and batch.double_entry:
        changed = replace(batch, status="second", first_by=me, version=batch.version + 1)
        return _replace(call, store, batch, changed, "batch.first_done")
    if batch.status == "open":
        return _commit(call, store, batch, first, [e.answers for e in first])
    second = kept(store.entries(batch.batch_id, 2))
    if len(second) != len(first):
        return batch_page(
            call,
            409,
            f"第二遍录入了 {len(second)} 份，第一遍是 {len(first)} 份：请补录或作废后再结束。",
        )
    batch = replace(batch, second_by=me)
    if differences(questionnaire, first, second):
        changed = replace(batch, status="compare", version=batch.version + 1)
        return _replace(call, store, batch, changed, "batch.second_done")
    return _commit(call, store, batch, first, [e.answers for e in first])


def batch_resolve(call: Call) -> Response[Any]:
    """Each difference of a double entry settled (the paper decides), then the batch counts."""
    store, batch = _batch(call)
    if batch.status != "compare":
        return _refuse(call, 409, "这一批没有待核对的差异。")
    questionnaire = call.ws.questionnaire()
    first = kept(store.entries(batch.batch_id, 1))
    second = kept(store.entries(batch.batch_id, 2))
    found_differences = differences(questionnaire, first, second)
    choices = {
        (d.position, d.question): int(value)
        for d in found_differences
        if (value := call.request.field(f"d-{d.position}-{d.question}", 2)) in ("1", "2")
    }
    settled = resolved(questionnaire, first, found_differences, choices)
    if settled is None:
        return batch_page(call, 400, "请为每一处差异选择与纸质问卷一致的答案。")
    wrong = [
        f"第 {n} 份：{e.message}"
        for n, checked in enumerate(settled, start=1)
        for e in checked.errors
    ]
    if wrong:
        return batch_page(call, 422, "选择后的答案不完整：" + "；".join(wrong))
    resolutions = [
        {"paper": d.position, "question": d.question, "chose": choices[(d.position, d.question)]}
        for d in found_differences
    ]
    return _commit(call, store, batch, first, [c.answers for c in settled], resolutions=resolutions)


def policy_set(call: Call) -> Response[Any]:
    """The office requires double entry of every new batch, or leaves it to each batch."""
    store = _store(call)
    before = store.policy()
    after = EntryPolicy(call.request.field("double_entry_required") == "1", before.version + 1)
    try:
        store.set_policy(after)
    except BatchConflict:
        return message_page(call, 409, "设置未保存", "设置刚被他人修改，请刷新后重试。")
    call.audit(
        "entry.policy",
        "entry/policy",
        before={"double_entry_required": before.double_entry_required},
        after={"double_entry_required": after.double_entry_required},
    )
    return call.back(f"{PREFIX}office/", "entry_policy")


# -- helpers ---------------------------------------------------------------------------------


def _department_store(call: Call) -> tuple[Department, EntryStore]:
    """The path's department and the entry store; the page saying which is missing answers
    otherwise."""
    department = call.department()
    if department is None:
        raise Answered(message_page(call, 404, "找不到部门", "没有这个部门。"))
    return department, _store(call)


def _batch(call: Call) -> tuple[EntryStore, Batch]:
    """The entry store and the path's batch; the page saying which is missing answers
    otherwise."""
    store = _store(call)
    department = call.department()
    batch_id = call.params["batch"]
    batch = (
        store.batch(department.id, batch_id)
        if department is not None and BATCH_ID_PATTERN.fullmatch(batch_id)
        else None
    )
    if batch is None:
        raise Answered(message_page(call, 404, "找不到这一批", "没有这一批录入。"))
    return store, batch


def _keying(call: Call, refusal: str) -> tuple[EntryStore, Batch, int]:
    """The batch and the pass this account may key now; the refusal (409) answers otherwise."""
    store, batch = _batch(call)
    pass_no = _keying_pass(batch)
    if not pass_no or not _may_key(call, batch):
        raise Answered(_refuse(call, 409, refusal))
    return store, batch, pass_no


def _keying_pass(batch: Batch) -> int:
    return {"open": 1, "second": 2}.get(batch.status, 0)


def _may_key(call: Call, batch: Batch) -> bool:
    """The second pass is keyed by another account than the first: that is its point."""
    return batch.status != "second" or call.me.username != batch.first_by


def _refuse(call: Call, status: int, message: str) -> Response[Any]:
    if call.request.wants_json:
        return json_answer({"error": {"message": message}}, status)
    return batch_page(call, status, message)


def _replace(
    call: Call, store: EntryStore, batch: Batch, changed: Batch, action: str
) -> Response[Any]:
    try:
        store.replace_batch(changed)
    except BatchConflict:
        return batch_page(call, 409, "这一批刚被他人修改，请查看后重试。")
    _audit(call, changed, action, before=_batch_view(batch), after=_batch_view(changed))
    return redirect(_batch_url(changed))


def _commit(
    call: Call,
    store: EntryStore,
    batch: Batch,
    first: list[Entry],
    answers: list[Any],
    resolutions: list[dict[str, Any]] | None = None,
) -> Response[Any]:
    """Into the submission store (exactly once per entry), then the batch is done."""
    intake = call.ws.intake
    assert intake is not None  # _store() checked it
    now = call.ws.clock()
    month = call.calendar().month(now)
    stored = responses(batch, first, answers, month, now)
    intake.put_many(stored)
    done = replace(
        batch,
        status="done",
        done_at=utc_timestamp(now),
        stored=len(stored),
        version=batch.version + 1,
    )
    try:
        store.replace_batch(done)
    except BatchConflict:
        return batch_page(call, 409, "这一批刚被他人修改，请查看后重试。")
    after = {**_batch_view(done), "month": month}
    if resolutions is not None:
        after["resolutions"] = resolutions
    _audit(call, done, "batch.finish", before=_batch_view(batch), after=after)
    return redirect(_batch_url(done))


def _audit(call: Call, batch: Batch, action: str, **change: Any) -> None:
    call.audit(
        action,
        batch_target(batch.batch_id),
        departments=(batch.department,),
        **change,
    )


def _batch_view(batch: Batch) -> dict[str, Any]:
    return {
        "channel": batch.channel,
        "status": batch.status,
        "double_entry": batch.double_entry,
        "meeting_date": batch.meeting_date,
        "meeting_place": batch.meeting_place,
        "stored": batch.stored,
    }


def _entry_view(entry: Entry) -> dict[str, Any]:
    return {"entry": entry.entry_id, "pass": entry.pass_no, **entry.to_dict()["answers"]}


def _batch_url(batch: Batch) -> str:
    return f"{PREFIX}d/{batch.department}/entry/{batch.batch_id}/"


def _channel_name(questionnaire: Questionnaire, channel_id: str) -> str:
    channel = questionnaire.channel(channel_id)
    return channel.name if channel else channel_id


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _sections(
    questionnaire: Questionnaire,
    call: Call,
    given: dict[str, list[str]],
    errors: tuple[AnswerError, ...],
) -> list[dict[str, Any]]:
    """The keying form: each question with its printed number and its options numbered in
    printed order (the digit a clerk presses), the answer rules as data for the script."""
    department = call.department()
    by_question = {e.question: e.message for e in errors}
    sections = []
    for section in questionnaire.sections:
        questions = []
        for q in section.questions:
            text = questionnaire.text_for(q.text, department) if department else q.text
            conditions = [{"question": c.question, "any_of": list(c.any_of)} for c in q.conditions]
            questions.append(
                {
                    "q": q,
                    "label": f"{q.number}. {text}" if q.number is not None else text,
                    "when": conditions,
                    "chosen": set(given.get(q.id, [])),
                    "error": by_question.get(q.id, ""),
                }
            )
        sections.append({"section": section, "questions": questions})
    return sections


def _summary_text(questionnaire: Questionnaire, entry: Entry) -> str:
    """The last saved paper as digits, the way the clerk keyed it: 1 4 2 1 1 …"""
    parts = []
    for q in questionnaire.questions:
        value = entry.answers.get(q.id)
        if value is None:
            continue
        chosen = (value,) if isinstance(value, str) else value
        digits = "".join(str(i) for i, o in enumerate(q.options, start=1) if o.id in chosen)
        parts.append(f"{q.number or '身份'}:{digits}")
    return " ".join(parts)


def _difference_view(questionnaire: Questionnaire, d: Difference) -> dict[str, Any]:
    question = questionnaire.question(d.question)
    assert question is not None

    def text(value: AnswerValue | None) -> str:
        if value is None:
            return "（未答）"
        chosen = (value,) if isinstance(value, str) else value
        return "、".join(o.text for o in question.options if o.id in chosen)

    label = f"第 {question.number} 题" if question.number is not None else "答题人身份"
    return {
        "position": d.position,
        "question": d.question,
        "label": f"二、{label}" if question.section == "private_enterprise" else label,
        "first": text(d.first),
        "second": text(d.second),
    }


def _summary(questionnaire: Questionnaire, first: list[Entry]) -> list[dict[str, Any]]:
    """A finished batch's answers per question and option, to compare with the paper pile."""
    rows = []
    for q in questionnaire.questions:
        counts: Counter[str] = Counter()
        for entry in first:
            value = entry.answers.get(q.id)
            for option in (value,) if isinstance(value, str) else value or ():
                counts[option] += 1
        if counts:
            rows.append(
                {
                    "label": f"{q.number}" if q.number is not None else "身份",
                    "options": [(o.text, counts[o.id]) for o in q.options],
                }
            )
    return rows
