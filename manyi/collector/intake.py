"""One submission from body to stored record: parse, check, store, and say what happened.

Pure of HTTP frameworks: `Intake.submit` takes the bytes and the facts of one request and
returns an `Outcome` (status and body) that the routes turn into a response. The order of the
checks decides which problem a client hears about first: size, format, rate, parse, honeypot,
version, department, then every field problem at once.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple

from manyi.answers import check_answers
from manyi.calendar import OfficeCalendar
from manyi.collector import repeat
from manyi.collector.network import NetworkHasher
from manyi.collector.ratelimit import RateLimiter
from manyi.collector.shape import check_shape
from manyi.messages import (
    SubmissionCode,
    SubmissionFieldCode,
    submission_field_message,
    submission_message,
)
from manyi.model import Department, Questionnaire
from manyi.store.submissions.base import SubmissionStore
from manyi.submission import (
    MAX_BODY_BYTES,
    SUBMISSION_ID_PATTERN,
    FieldError,
    MalformedSubmission,
    StoredSubmission,
    SubmissionRequest,
    parse_form,
    parse_json,
    utc_timestamp,
)
from manyi.versions import Catalogue, looks_like_version

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class FormContext(NamedTuple):
    """What a plain form's error page needs to show the form again with the answers kept."""

    questionnaire: Questionnaire
    department: Department
    channel: str
    answers: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    """What an intake answers a client, whatever it took in (an answer sheet here, a complaint
    or a lookup in manyi.complaints.intake): the status, a code, the JSON body, and whether the
    request came from a plain form (JavaScript off), which is then answered with a page."""

    status: int
    code: str  # "stored", "replayed", "dropped", or the error code
    body: dict[str, Any]
    from_form: bool = False
    retry_after: int | None = None
    errors: tuple[FieldError, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status < 300


@dataclass(frozen=True, slots=True)
class Outcome(IntakeOutcome):
    department: str | None = None
    form: FormContext | None = None
    # A stored plain form: its channel's thank-you page, and the cookie that holds back the
    # same form posted again (manyi.collector.repeat).
    thanks: str | None = None
    sent: str | None = None


@dataclass(eq=False)
class Intake:
    catalogue: Catalogue
    store: SubmissionStore
    limiter: RateLimiter | None = None
    # Without it (tests, tools) responses keep no network: the burst signal does not see them.
    networks: NetworkHasher | None = None

    def submit(
        self,
        content_type: str,
        body: bytes,
        address: str,
        now: datetime,
        sent: str | None = None,
    ) -> Outcome:
        """One request's outcome; `sent` is the browser's cookie of the last plain form it sent."""
        calendar = self.calendar()
        from_form, refusal = admit(
            content_type, body, MAX_BODY_BYTES, self.limiter, address, calendar.today(now), now
        )
        if refusal is not None:
            status, refused, wait = refusal
            return failure(status, refused, from_form, retry_after=wait, seconds=wait)
        try:
            request = parse_form(body) if from_form else parse_json(body)
        except MalformedSubmission as error:
            return failure(400, "malformed", from_form, detail=str(error))
        if request.honeypot:
            return _dropped(request, calendar.month(now), now)
        return self._checked_and_stored(request, calendar, now, sent, address)

    def calendar(self) -> OfficeCalendar:
        """The office's calendar, as the current questionnaire's `reporting` sets it."""
        return OfficeCalendar.of(self.catalogue.current.reporting)

    def _checked_and_stored(
        self,
        request: SubmissionRequest,
        calendar: OfficeCalendar,
        now: datetime,
        sent: str | None,
        address: str,
    ) -> Outcome:
        form = request.from_form
        version_ok = looks_like_version(request.version)
        today = calendar.today(now)
        questionnaire = self.catalogue.accepted(request.version, today)
        if questionnaire is None:
            if not version_ok:
                error = _field_error("version", "invalid_version")
                return invalid((error,), form, request.department)
            return failure(409, "stale_version", form, department=request.department)
        department = questionnaire.department(request.department)
        if department is None and request.version in self.catalogue.follow_site(today):
            # A build added the department to this version's pages since the last look.
            questionnaire = self.catalogue.accepted(request.version, today) or questionnaire
            department = questionnaire.department(request.department)
        if department is None:
            return failure(404, "unknown_department", form)
        errors = list(_meta_errors(questionnaire, request))
        shape = () if form else check_shape(questionnaire, request.answers)
        checked = check_answers(questionnaire, request.answers)
        wrong = {e.question for e in shape}
        errors += [FieldError(e.question, e.code, e.message) for e in shape]
        errors += [
            FieldError(e.question, e.code, e.message)
            for e in checked.errors
            if e.question not in wrong
        ]
        context = FormContext(questionnaire, department, request.channel, request.answers)
        if errors:
            return invalid(tuple(errors), form, department.id, context)
        content = b""
        if form and request.submission_id is None:
            content = repeat.fingerprint(
                department.id, request.channel, questionnaire.version, checked.answers
            )
            if repeat.matches(sent, content):
                return Outcome(
                    409,
                    "repeated",
                    error_body("repeated"),
                    True,
                    department=department.id,
                    form=context,
                )
        submission = StoredSubmission(
            submission_id=request.submission_id or new_submission_id(),
            department=department.id,
            month=calendar.month(now),
            received_at=utc_timestamp(now),
            version=questionnaire.version,
            channel=request.channel,
            answers=checked.answers,
            # The address itself goes no further than this call (manyi.collector.network).
            network=self.networks.hash(address, today) if self.networks else "",
            seconds=request.seconds,
        )
        stored, new = self.store.put(submission)
        outcome = accepted(stored, "stored" if new else "replayed", form)
        if not form:
            return outcome
        from site_builder.paths import thanks_path  # light: the URL layout of the site

        channel = questionnaire.channel(request.channel)  # known: checked by _meta_errors
        return replace(
            outcome,
            thanks=thanks_path(questionnaire, department, channel) if channel else None,
            sent=repeat.token(content) if content else None,
        )


def new_submission_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).decode("ascii").rstrip("=")


def accepted(record: StoredSubmission, code: str, from_form: bool) -> Outcome:
    body = {
        "submission_id": record.submission_id,
        "month": record.month,
        "received_at": record.received_at,
    }
    return Outcome(201, code, body, from_form, department=record.department)


class Refusal(NamedTuple):
    """Why a request is answered before it is read; for 429, the seconds to wait."""

    status: int
    code: SubmissionCode
    retry_after: int | None = None


def admit(
    content_type: str,
    body: bytes,
    max_bytes: int,
    limiter: RateLimiter | None,
    address: str,
    today: date,
    now: datetime,
) -> tuple[bool, Refusal | None]:
    """Whether a body is a plain form (else JSON), and why it is refused unread: as
    screen_body, or because its sender is over the rate limit (one token taken)."""
    from_form, refusal = screen_body(content_type, body, max_bytes)
    if refusal is not None:
        return from_form, Refusal(*refusal)
    if limiter is not None:
        wait = limiter.take(address, today.isoformat(), now.timestamp())
        if wait:
            return from_form, Refusal(429, "rate_limited", wait)
    return from_form, None


def screen_body(
    content_type: str, body: bytes, max_bytes: int
) -> tuple[bool, tuple[int, SubmissionCode] | None]:
    """Whether a body is a plain form (else JSON), and why it is refused unread: too large, or
    neither JSON nor a form (the status and code); None when it may be read."""
    media = content_type.split(";", 1)[0].strip().lower()
    from_form = media == FORM
    if len(body) > max_bytes:
        return from_form, (413, "too_large")
    if media not in (JSON, FORM):
        return from_form, (415, "unsupported_media_type")
    return from_form, None


def failure(
    status: int,
    code: SubmissionCode,
    from_form: bool,
    *,
    department: str | None = None,
    retry_after: int | None = None,
    detail: str | None = None,
    **values: object,
) -> Outcome:
    return Outcome(
        status,
        code,
        error_body(code, detail=detail, **values),
        from_form,
        department=department,
        retry_after=retry_after,
    )


def error_body(
    code: SubmissionCode, *, detail: str | None = None, **values: object
) -> dict[str, Any]:
    error = {"code": code, "message": submission_message(code, **values)}
    if detail:
        error["detail"] = detail
    return {"error": error, "errors": []}


def invalid(
    errors: tuple[FieldError, ...],
    from_form: bool,
    department: str | None,
    context: FormContext | None = None,
) -> Outcome:
    message = submission_message("invalid_answers", count=len(errors))
    body = {
        "error": {"code": "invalid_answers", "message": message},
        "errors": [e.to_dict() for e in errors],
    }
    return Outcome(
        422, "invalid_answers", body, from_form, errors=errors, department=department, form=context
    )


def _dropped(request: SubmissionRequest, month: str, now: datetime) -> Outcome:
    """A bot filled the honeypot: answer as if stored, so it learns nothing, and keep nothing."""
    submission_id = request.submission_id or new_submission_id()
    body = {
        "submission_id": submission_id,
        "month": month,
        "received_at": utc_timestamp(now),
    }
    return Outcome(201, "dropped", body, request.from_form, department=request.department)


def _meta_errors(questionnaire: Questionnaire, request: SubmissionRequest) -> list[FieldError]:
    errors = []
    if request.submission_id is None:
        if not request.from_form:
            errors.append(_field_error("submission_id", "missing_submission_id"))
    elif not SUBMISSION_ID_PATTERN.fullmatch(request.submission_id):
        errors.append(_field_error("submission_id", "invalid_submission_id"))
    channel = questionnaire.channel(request.channel)
    if channel is None:
        errors.append(_field_error("channel", "unknown_channel"))
    elif channel.entry == "staff":
        # Staff channels are keyed in the workspace only (manyi.workspace.pages.entry), under
        # an account: a citizen's page cannot claim a phone call or a meeting.
        errors.append(_field_error("channel", "staff_channel"))
    return errors


def _field_error(name: str, code: SubmissionFieldCode) -> FieldError:
    return FieldError(name, code, submission_field_message(code))
