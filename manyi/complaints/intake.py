"""A complaint from body to stored record, and a status lookup by number and receipt code.

Pure of HTTP: `ComplaintIntake.submit` and `.lookup` take the bytes and facts of one request
and return an outcome that the collector's routes turn into JSON or a page. The same order of
checks as the survey's intake: size, format, rate, parse, honeypot, then every field problem
at once. Nothing of a complainant's name or phone is logged, put in an error or kept in clear:
they are sealed (manyi.sealing) before the store sees them.

Exactly once: the page's script sends a random `complaint_id`; a plain form (JavaScript off)
gets one from the server, and a cookie remembers it with a salted hash of what was sent, so
the same form posted again from the same browser finds the complaint stored first and shows
its number and code again (manyi.collector.repeat, the survey's mechanism).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

from manyi.calendar import OfficeCalendar
from manyi.collector import repeat
from manyi.collector.intake import IntakeOutcome, admit, screen_body
from manyi.collector.ratelimit import RateLimiter
from manyi.complaints.deadlines import deadlines
from manyi.complaints.model import (
    CATEGORIES,
    COMPLAINT_ID_PATTERN,
    MAX_ACCOUNT,
    MAX_NAME,
    MAX_SUBJECT,
    NUMBER_PATTERN,
    PHONE_PATTERN,
    STATUS_TEXT,
    Complaint,
    ConductHandlers,
    code_hash,
    code_matches,
    key_hash,
    receipt_code,
    routed_handler,
    shown_code,
)
from manyi.messages import (
    ComplaintCode,
    ComplaintFieldCode,
    SubmissionCode,
    complaint_field_message,
    complaint_message,
)
from manyi.model import Questionnaire
from manyi.sealing import Sealer
from manyi.store.complaints.base import ComplaintStore
from manyi.store.errors import StoreMisconfigured
from manyi.submission import FieldError, utc_timestamp
from manyi.versions import Catalogue

# 2,000 characters of Chinese are 18 KB once URL-encoded; the rest of the form is small.
MAX_COMPLAINT_BYTES = 32 * 1024
MAX_LOOKUP_BYTES = 4096
# Wrong codes in a row before lookups of a number (or from an address) are slowed down.
FREE_WRONG_CODES = 20
MAX_WAIT_SECONDS = 3600
# How far back a complaint may reach: the notice's rules know no limit, typing errors do.
OLDEST_YEARS = 10
FIELDS = ("department", "category", "subject", "account", "happened_on", "name", "phone")
COOKIE = "manyi_complaint"


@dataclass(frozen=True)
class ComplaintForm:
    """What was sent, as text (kept for the page shown again with its problems)."""

    values: Mapping[str, str]
    complaint_id: str | None
    honeypot: str
    from_form: bool
    # The page the form was sent from: a department's, or the city's ("").
    page: str = ""


@dataclass(frozen=True, slots=True)
class ComplaintOutcome(IntakeOutcome):
    form: ComplaintForm | None = None
    cookie: str | None = None  # the plain form's repeat cookie value


@dataclass(frozen=True, slots=True)
class LookupOutcome(IntakeOutcome):
    """A complainant's look-up by number and code: it has no field errors and no form."""


@dataclass(eq=False)
class ComplaintIntake:
    catalogue: Catalogue
    store: ComplaintStore
    sealer: Sealer | None
    limiter: RateLimiter | None = None
    # Wrong lookups per client address, in memory (as the rate limiter's buckets): the
    # per-number count in the store is what holds across instances.
    _wrong_by_address: dict[bytes, tuple[int, float]] = field(
        default_factory=dict, init=False, repr=False
    )

    def calendar(self) -> OfficeCalendar:
        return OfficeCalendar.of(self.catalogue.current.reporting)

    # -- intake ----------------------------------------------------------------------------

    def submit(
        self, content_type: str, body: bytes, address: str, now: datetime, sent: str | None
    ) -> ComplaintOutcome:
        today = self.calendar().today(now)
        from_form, refusal = admit(
            content_type, body, MAX_COMPLAINT_BYTES, self.limiter, address, today, now
        )
        if refusal is not None:
            status, refused, wait = refusal
            return _failure(status, refused, from_form, retry_after=wait, seconds=wait)
        try:
            form = parse_form(body) if from_form else parse_json(body)
        except ValueError as error:
            return _failure(400, "malformed", from_form, detail=str(error))
        if form.honeypot:
            return ComplaintOutcome(201, "dropped", _dropped_body(today), from_form)
        questionnaire = self.catalogue.current
        errors = check(questionnaire, form, today)
        if errors:
            return _invalid(form, errors)
        complaint_id, cookie = self._complaint_id(form, sent)
        complaint = self._complaint(questionnaire, form, complaint_id, now, today)
        stored, new = self.store.add(complaint)
        code = receipt_code(complaint_id)
        body_out = {
            "number": stored.number,
            "code": shown_code(code),
            "status": stored.status,
            "message": complaint_message("received" if new else "repeated"),
        }
        return ComplaintOutcome(
            201 if new else 200,
            "stored" if new else "replayed",
            body_out,
            from_form,
            form=form,
            cookie=cookie,
        )

    def _complaint_id(self, form: ComplaintForm, sent: str | None) -> tuple[str, str | None]:
        """The ID the script sent; for a plain form, the one of the same form sent before from
        this browser, or a new one, with the cookie that remembers it."""
        if not form.from_form:
            assert form.complaint_id is not None  # checked
            return form.complaint_id, None
        content = _fingerprint(form.values)
        if sent and sent.count(".") == 2:
            token, _, earlier = sent.rpartition(".")
            if repeat.matches(token, content) and COMPLAINT_ID_PATTERN.fullmatch(earlier):
                return earlier, f"{token}.{earlier}"
        complaint_id = new_complaint_id()
        return complaint_id, f"{repeat.token(content)}.{complaint_id}"

    def _complaint(
        self,
        questionnaire: Questionnaire,
        form: ComplaintForm,
        complaint_id: str,
        now: datetime,
        today: date,
    ) -> Complaint:
        values = form.values
        contact = {k: values[k] for k in ("name", "phone") if values.get(k)}
        hashed = key_hash(complaint_id)
        sealed = None
        if contact:
            if self.sealer is None:
                raise StoreMisconfigured(
                    "complaints: no sealing key configured (MANYI_COMPLAINTS_KEY_ID in AWS, "
                    "--key-file for manyi serve); contact details cannot be stored"
                )
            # Sealed under the key hash: the number does not exist yet, and a replay must not
            # need it. The record is bound to this complaint and no other.
            sealed = self.sealer.seal(hashed, contact)
        category = values["category"]
        about = questionnaire.complaints.about(category)
        # Conduct complaints go straight to the department's standing handler, if the office
        # named one (one read of a small item); the office sees every complaint either way.
        handlers = self.store.handlers() if about == "conduct" else ConductHandlers()
        return Complaint(
            number="",
            key_hash=hashed,
            code_hash=code_hash(hashed, receipt_code(complaint_id)),
            department=values["department"],
            category=category,
            about=about,
            subject=values.get("subject", ""),
            account=values["account"],
            happened_on=values["happened_on"],
            received_at=utc_timestamp(now),
            received_on=today.isoformat(),
            contact=sealed,
            handler=routed_handler(about, values["department"], handlers),
        )

    # -- status lookup ---------------------------------------------------------------------

    def lookup(self, content_type: str, body: bytes, address: str, now: datetime) -> LookupOutcome:
        from_form, refusal = screen_body(content_type, body, MAX_LOOKUP_BYTES)
        if refusal is not None:  # a lookup answers any unreadable body as malformed
            return _lookup_failure(400, "malformed", from_form)
        try:
            given = _lookup_fields(body, from_form)
        except ValueError:
            return _lookup_failure(400, "malformed", from_form)
        number = given.get("number", "").strip().lower()
        typed = given.get("code", "")
        moment = now.timestamp()
        address_key = self._address_key(address)
        wait = _wait(*self._wrong_by_address.get(address_key, (0, 0.0)), moment)
        if not wait and NUMBER_PATTERN.fullmatch(number):
            wrong = self.store.wrong_codes(number)
            wait = _wait(wrong.count, wrong.last_at, moment)
        if wait:
            return _lookup_failure(429, "slowed_down", from_form, retry_after=wait, seconds=wait)
        complaint = self.store.get(number) if NUMBER_PATTERN.fullmatch(number) else None
        if complaint is None:
            # The same work as a real check: the answer's timing tells nothing about numbers.
            code_hash("0" * 64, "000000000000")
            self._count_wrong(address_key, moment)
            return _lookup_failure(404, "not_found", from_form)
        if not code_matches(complaint, typed):
            self.store.add_wrong_code(complaint.number, moment)
            self._count_wrong(address_key, moment)
            return _lookup_failure(404, "not_found", from_form)
        self.store.clear_wrong_codes(complaint.number)
        self._wrong_by_address.pop(address_key, None)
        return LookupOutcome(
            200, "found", status_view(self.catalogue.current, complaint), from_form
        )

    def _address_key(self, address: str) -> bytes:
        if self.limiter is not None:
            return self.limiter.client_key(address, "complaint-lookup")
        return address.encode()

    def _count_wrong(self, key: bytes, now: float) -> None:
        count, _ = self._wrong_by_address.get(key, (0, 0.0))
        self._wrong_by_address[key] = (count + 1, now)
        if len(self._wrong_by_address) > 50_000:
            self._wrong_by_address.clear()


def status_view(questionnaire: Questionnaire, complaint: Complaint) -> dict[str, Any]:
    """What number and code show: the status, the dates, the office's notes. Never the
    complainant's name, phone or account of events."""
    department = questionnaire.department(complaint.department)
    found = deadlines(complaint, questionnaire.complaints)
    step, due = found.pending(complaint)
    return {
        "number": complaint.number,
        "department": department.name if department else complaint.department,
        "category": CATEGORIES.get(complaint.category, complaint.category),
        "received_on": complaint.received_on,
        "status": complaint.status,
        "status_text": STATUS_TEXT[complaint.status],
        "due": due.isoformat() if due else None,
        "due_for": step,
        "steps": [
            {"day": s.day, "status": s.status, "status_text": STATUS_TEXT[s.status], "note": s.note}
            for s in complaint.steps
        ],
    }


def new_complaint_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(18)).decode("ascii")


def check(questionnaire: Questionnaire, form: ComplaintForm, today: date) -> list[FieldError]:
    """Every problem of the form at once, each next to its field."""
    values = form.values
    errors: list[FieldError] = []

    def problem(name: str, code: ComplaintFieldCode, **extra: object) -> None:
        errors.append(FieldError(name, code, complaint_field_message(code, **extra)))

    if not form.from_form:
        if form.complaint_id is None:
            problem("complaint_id", "missing_complaint_id")
        elif not COMPLAINT_ID_PATTERN.fullmatch(form.complaint_id):
            problem("complaint_id", "invalid_complaint_id")
    if not values.get("department"):
        problem("department", "required")
    elif questionnaire.department(values["department"]) is None:
        problem("department", "unknown_department")
    if not values.get("category"):
        problem("category", "required")
    elif values["category"] not in CATEGORIES:
        problem("category", "unknown_category")
    for name, limit in (("subject", MAX_SUBJECT), ("account", MAX_ACCOUNT), ("name", MAX_NAME)):
        length = len(values.get(name, ""))
        if length > limit:
            problem(name, "too_long", limit=limit, length=length)
    if not values.get("account"):
        problem("account", "required")
    happened = values.get("happened_on", "")
    if not happened:
        problem("happened_on", "required")
    else:
        try:
            day = date.fromisoformat(happened)
        except ValueError:
            problem("happened_on", "bad_date")
        else:
            if day > today:
                problem("happened_on", "future_date")
            elif day.year < today.year - OLDEST_YEARS:
                problem("happened_on", "bad_date")
    phone = values.get("phone", "")
    if phone and not PHONE_PATTERN.fullmatch(phone):
        problem("phone", "bad_phone")
    return errors


def parse_form(body: bytes) -> ComplaintForm:
    try:
        text = body.decode("utf-8")
        pairs = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=40)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"form body: {type(error).__name__}") from None
    values = {name: _clean(pairs.get(name, [""])[0]) for name in FIELDS}
    values["happened_on"] = _date_text(values["happened_on"])
    return ComplaintForm(
        values=values,
        complaint_id=None,
        honeypot=_clean(pairs.get("website", [""])[0]),
        from_form=True,
        page=_clean(pairs.get("page", [""])[0])[:40],
    )


def parse_json(body: bytes) -> ComplaintForm:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"JSON body: {type(error).__name__}") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    values = {}
    for name in FIELDS:
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        values[name] = _clean(value)
    values["happened_on"] = _date_text(values["happened_on"])
    complaint_id = data.get("complaint_id")
    if complaint_id is not None and not isinstance(complaint_id, str):
        raise ValueError("complaint_id must be a string")
    # null is an empty honeypot, as for a submission (manyi.submission); any other non-text
    # value is a bot's.
    honeypot = data.get("website") or ""
    return ComplaintForm(
        values=values,
        complaint_id=complaint_id,
        honeypot=honeypot if isinstance(honeypot, str) else "x",
        from_form=False,
        page=str(data.get("page", ""))[:40],
    )


def _lookup_fields(body: bytes, from_form: bool) -> dict[str, str]:
    text = body.decode("utf-8")
    if from_form:
        pairs = parse_qs(text, keep_blank_values=True, max_num_fields=10)
        return {k: v[0] for k, v in pairs.items() if k in ("number", "code")}
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return {k: str(data.get(k, "")) for k in ("number", "code")}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    """Trimmed, line ends as \\n, control characters out: stored as text, escaped when shown.
    Every field is cleaned on arrival, before its rules (lengths included) are checked."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _date_text(text: str) -> str:
    """2026-11-20 as typed in many ways (2026/11/20, 2026年11月20日, full-width digits)."""
    text = text.translate({ord("０") + i: str(i) for i in range(10)})
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if match is None:
        return text
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _fingerprint(values: Mapping[str, str]) -> bytes:
    return json.dumps(
        ["complaint", sorted(values.items())], ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def _wait(count: int, last_at: float, now: float) -> int:
    """Seconds still to wait after `count` wrong codes in a row, the last at `last_at`."""
    if count < FREE_WRONG_CODES:
        return 0
    pause = min(MAX_WAIT_SECONDS, 30 * 2 ** (count - FREE_WRONG_CODES))
    return max(0, int(last_at + pause - now + 0.999))


def _failure(
    status: int,
    code: SubmissionCode,
    from_form: bool,
    *,
    retry_after: int | None = None,
    detail: str | None = None,
    **values: object,
) -> ComplaintOutcome:
    from manyi.collector.intake import error_body

    body = error_body(code, detail=detail, **values)
    return ComplaintOutcome(status, code, body, from_form, retry_after=retry_after)


def _invalid(form: ComplaintForm, errors: list[FieldError]) -> ComplaintOutcome:
    message = complaint_message("invalid", count=len(errors))
    body = {
        "error": {"code": "invalid", "message": message},
        "errors": [e.to_dict() for e in errors],
    }
    return ComplaintOutcome(422, "invalid", body, form.from_form, errors=tuple(errors), form=form)


def _lookup_failure(
    status: int,
    code: ComplaintCode | str,
    from_form: bool,
    *,
    retry_after: int | None = None,
    **values: object,
) -> LookupOutcome:
    if code == "malformed":
        from manyi.messages import submission_message

        message = submission_message("malformed")
    else:
        message = complaint_message(code, **values)  # type: ignore[arg-type]
    body = {"error": {"code": code, "message": message}, "errors": []}
    return LookupOutcome(status, code, body, from_form, retry_after=retry_after)


def _dropped_body(today: date) -> dict[str, Any]:
    """A bot filled the honeypot: an answer that looks like a receipt, and nothing kept."""
    number = f"{today.year}-x-{int.from_bytes(os.urandom(2), 'big'):04d}"
    code = f"{int.from_bytes(os.urandom(6), 'big') % 10**12:012d}"
    return {"number": number, "code": shown_code(code), "status": "received", "message": ""}
