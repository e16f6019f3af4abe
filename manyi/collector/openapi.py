"""The OpenAPI 3.1 document of the collector, derived from the questionnaire it accepts.

Each question becomes a property of `answers`: an enum of its option IDs for a single choice, a
non-empty array of distinct option IDs for a multiple choice. The rules JSON Schema can say are
said: required questions, conditions (`if` the answers that make a question apply, `then` it is
required; answers to questions that do not apply are accepted and dropped), and exclusive
options (`if` the array contains one, `then` it holds nothing else). Where the collector takes
complaints (投诉举报), their two routes are in it too, with the departments and categories of
the current questionnaire, and where it counts the pressure question's answers, its route.
Built on first request and cached, never on the cold path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from manyi.collector.pressure import MAX_PRESSURE_BYTES
from manyi.complaints.intake import (
    FREE_WRONG_CODES,
    MAX_COMPLAINT_BYTES,
    MAX_LOOKUP_BYTES,
    OLDEST_YEARS,
)
from manyi.complaints.model import (
    CATEGORIES,
    COMPLAINT_ID_PATTERN,
    MAX_ACCOUNT,
    MAX_NAME,
    MAX_SUBJECT,
    NUMBER_PATTERN,
    STATUS_TEXT,
)
from manyi.messages import pressure_message
from manyi.model import Condition, Question, Questionnaire
from manyi.store.pressure.base import PRESSURE_ANSWERS
from manyi.submission import MAX_BODY_BYTES, MAX_SECONDS, SUBMISSION_ID_PATTERN
from manyi.versions import VERSION_PATTERN_TEXT

Schema = dict[str, Any]

# The bots' field (a honeypot): people never see it, so it must stay empty.
HONEYPOT: Schema = {
    "type": ["string", "null"],
    "maxLength": 0,
    "description": "Leave empty: people never see this field.",
}


def openapi_document(
    current: Questionnaire,
    versions: Sequence[str],
    complaints: bool = False,
    pressure: bool = False,
) -> Schema:
    """`complaints`: the collector takes complaints (it has a complaints store); `pressure`: it
    counts the pressure question's answers (it has a pressure store)."""
    error = {"$ref": "#/components/schemas/Error"}
    retry_after = {
        "Retry-After": {
            "description": "Seconds to wait before sending the same submission again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }

    def reply(description: str, schema: Schema, headers: Schema | None = None) -> Schema:
        answer: Schema = {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
        if headers:
            answer["headers"] = headers
        return answer

    document: Schema = {
        "openapi": "3.1.0",
        "info": {
            "title": f"manyi collector: {current.title}",
            "version": current.version,
            "description": (
                f"{current.source}. Submissions of the questionnaire, stored once per "
                "submission_id. A plain HTML form may post the same fields as "
                "application/x-www-form-urlencoded (each question ID a field, repeated for a "
                "multiple choice, submission_id optional); it is answered 303 to the thank-you "
                "page of its channel (/d/<department>/thanks/, /d/<department>/<channel>/thanks/) "
                "or with an HTML page listing what to fix."
            ),
        },
        "paths": {
            "/api/submissions": {
                "post": {
                    "operationId": "submit",
                    "summary": "Store one submission (a replay of a submission_id is stored once)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Submission"}
                            }
                        },
                    },
                    "responses": {
                        "201": reply(
                            "Stored, now or by an earlier request with the same submission_id",
                            {"$ref": "#/components/schemas/Stored"},
                        ),
                        "400": reply("The body is not a submission", error),
                        "404": reply("No such department", error),
                        "409": reply("This questionnaire version is no longer accepted", error),
                        "413": reply(f"Body over {MAX_BODY_BYTES} bytes", error),
                        "415": reply("Neither JSON nor a form", error),
                        "422": reply("Answers or fields break the rules", error),
                        "429": reply("Too many submissions from one address", error, retry_after),
                        "500": reply(
                            "Storage misconfigured (an operator must act): nothing stored, "
                            "send again later",
                            error,
                        ),
                        "503": reply(
                            "Storage busy: nothing stored, send again", error, retry_after
                        ),
                    },
                }
            },
            "/api/health": {
                "get": {
                    "operationId": "health",
                    "responses": {
                        "200": reply(
                            "The collector answers", {"$ref": "#/components/schemas/Health"}
                        )
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Submission": submission_schema(current, versions),
                "Answers": answers_schema(current),
                "Stored": _object(
                    ["submission_id", "month", "received_at"],
                    {
                        "submission_id": _text(),
                        "month": _text(pattern=r"^\d{4}-\d{2}$"),
                        "received_at": _text(),
                    },
                ),
                "Error": _object(
                    ["error", "errors"],
                    {
                        "error": _object(
                            ["code", "message"],
                            {"code": _text(), "message": _text(), "detail": _text()},
                        ),
                        "errors": {
                            "type": "array",
                            "items": _object(
                                ["field", "code", "message"],
                                {"field": _text(), "code": _text(), "message": _text()},
                            ),
                        },
                    },
                ),
                "Health": _object(["status"], {"status": {"const": "ok"}, "version": _text()}),
            }
        },
    }
    if complaints:
        document["paths"].update(complaint_paths(reply, error, retry_after))
        document["components"]["schemas"].update(complaint_schemas(current))
    if pressure:
        document["paths"].update(pressure_paths(reply, error, retry_after))
        document["components"]["schemas"].update(pressure_schemas(current))
    return document


def pressure_paths(
    reply: Callable[..., Schema], error: Schema, retry_after: Schema
) -> dict[str, Schema]:
    """POST /api/pressure (manyi.collector.pressure)."""
    return {
        "/api/pressure": {
            "post": {
                "operationId": "pressure",
                "summary": "Count one answer to the pressure question after the thank-you page",
                "description": (
                    f"{pressure_message('question')} Counted apart from every "
                    "response: only the department-month's count of this answer goes up, with no "
                    "time and no ID. A plain HTML form may post the same two fields as "
                    "application/x-www-form-urlencoded; it is answered with a short thank-you "
                    "page."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PressureAnswer"}
                        }
                    },
                },
                "responses": {
                    "201": reply("Counted", _object(["recorded"], {"recorded": {"const": True}})),
                    "400": reply("The body is not a JSON object of these two strings", error),
                    "404": reply("No such department", error),
                    "413": reply(f"Body over {MAX_PRESSURE_BYTES} bytes", error),
                    "415": reply("Neither JSON nor a form", error),
                    "422": reply("No answer, or one that is not listed", error),
                    "429": reply("Too many answers from one address", error, retry_after),
                    "500": reply(
                        "Storage misconfigured (an operator must act): nothing counted", error
                    ),
                    "503": reply("Storage busy: nothing counted, send again", error, retry_after),
                },
            }
        }
    }


def pressure_schemas(q: Questionnaire) -> dict[str, Schema]:
    answers = "; ".join(f"{a}: {pressure_message(a)}" for a in PRESSURE_ANSWERS)
    return {
        "PressureAnswer": _object(
            ["department", "answer"],
            {
                "department": _text(enum=[d.id for d in q.departments]),
                "answer": _text(enum=list(PRESSURE_ANSWERS), description=answers),
            },
            additionalProperties=False,
        )
    }


def complaint_paths(
    reply: Callable[..., Schema], error: Schema, retry_after: Schema
) -> dict[str, Schema]:
    """POST /api/complaints and POST /api/complaints/status (manyi.complaints.intake)."""
    ref = "#/components/schemas/"
    receipt = {"$ref": f"{ref}ComplaintReceipt"}
    busy = reply("Storage busy: nothing stored, send again", error, retry_after)
    misconfigured = reply(
        "Storage misconfigured (an operator must act, e.g. no sealing key for a name or "
        "phone): nothing stored, send again later",
        error,
    )
    return {
        "/api/complaints": {
            "post": {
                "operationId": "complain",
                "summary": "Take one complaint; answer its 受理编号 and receipt code (shown once)",
                "description": (
                    "Stored once per complaint_id: the same complaint_id sent again stores "
                    "nothing and answers the same number and code (200). A plain HTML form may "
                    "post the same fields as application/x-www-form-urlencoded without "
                    "complaint_id (the server makes one and remembers the form in the "
                    "manyi_complaint cookie); it is answered with an HTML page, never a "
                    "redirect, so that the code travels in no URL. Dates may also be written "
                    "2026/11/20 or 2026年11月20日. Every text is cleaned on arrival (trimmed, "
                    "line ends as \\n, control characters removed) and its length counted "
                    "after that. A name or phone is sealed before it is stored and is never "
                    "answered back."
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"{ref}Complaint"}}},
                },
                "responses": {
                    "201": reply("Stored: its number and receipt code", receipt),
                    "200": reply(
                        "Stored before under this complaint_id: the same number and code",
                        receipt,
                    ),
                    "400": reply("The body is not a JSON object of strings", error),
                    "413": reply(f"Body over {MAX_COMPLAINT_BYTES} bytes", error),
                    "415": reply("Neither JSON nor a form", error),
                    "422": reply(
                        "Fields break the rules (each problem under `errors`, in Chinese; "
                        "e.g. happened_on in the future or more than "
                        f"{OLDEST_YEARS} years back)",
                        error,
                    ),
                    "429": reply("Too many complaints from one address", error, retry_after),
                    "500": misconfigured,
                    "503": busy,
                },
            }
        },
        "/api/complaints/status": {
            "post": {
                "operationId": "complaintStatus",
                "summary": "A complaint's progress by its number and receipt code",
                "description": (
                    "The status, the dates and the office's notes (reasons, the reply); never "
                    "the complainant's name, phone or account of events. A wrong code and an "
                    "unknown number get the same 404. After "
                    f"{FREE_WRONG_CODES} wrong codes in a row for a number (or from one "
                    "address) each further try waits 30 s, doubling, at most an hour (429). "
                    "A form post is answered with the status page (HTML)."
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"{ref}ComplaintLookup"}}},
                },
                "responses": {
                    "200": reply("The complaint's progress", {"$ref": f"{ref}ComplaintStatus"}),
                    "400": reply(
                        f"Not a JSON object or a form, or over {MAX_LOOKUP_BYTES} bytes", error
                    ),
                    "404": reply("No complaint with this number and code", error),
                    "429": reply("Too many wrong codes: wait", error, retry_after),
                    "500": misconfigured,
                    "503": busy,
                },
            }
        },
    }


def complaint_schemas(q: Questionnaire) -> dict[str, Schema]:
    optional_text = {"type": ["string", "null"]}
    statuses = list(STATUS_TEXT)
    categories = "; ".join(f"{key}: {text}" for key, text in CATEGORIES.items())
    return {
        "Complaint": _object(
            ["complaint_id", "department", "category", "account", "happened_on"],
            {
                "complaint_id": _text(
                    pattern=COMPLAINT_ID_PATTERN.pattern,
                    description="Made by the client at random; the same one for a retry.",
                ),
                "department": _text(
                    enum=[d.id for d in q.departments],
                    description="The department complained about.",
                ),
                "category": _text(
                    enum=list(CATEGORIES), description=f"What it is about ({categories})."
                ),
                "subject": {
                    **optional_text,
                    "maxLength": MAX_SUBJECT,
                    "description": "The officer or the place, if known.",
                },
                "account": _text(
                    maxLength=MAX_ACCOUNT,
                    # Something besides blanks and control characters (removed on arrival).
                    pattern=r"[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85]",
                    description="What happened: stored as text, shown escaped.",
                ),
                "happened_on": _text(
                    format="date",
                    description=(
                        "When it happened (YYYY-MM-DD, Beijing time): not after today, at most "
                        f"{OLDEST_YEARS} years back."
                    ),
                ),
                "name": {
                    **optional_text,
                    "maxLength": MAX_NAME,
                    "description": "For a reply; leave out to complain anonymously.",
                },
                "phone": {
                    **optional_text,
                    # The collector's own pattern, with no blank at the end (trimmed away).
                    "pattern": r"^$|^\+?[0-9][0-9 \-]{4,18}[0-9\-]$",
                    "description": "For a reply; leave out to complain anonymously.",
                },
                "website": HONEYPOT,
            },
        ),
        "ComplaintReceipt": _object(
            ["number", "code", "status", "message"],
            {
                "number": _text(
                    pattern=NUMBER_PATTERN.pattern,
                    description="受理编号: year, department, sequence.",
                ),
                "code": _text(
                    pattern=r"^\d{4} \d{4} \d{4}$",
                    description="The receipt code (查询码), shown this once; keep it.",
                ),
                "status": _text(enum=statuses),
                "message": _text(),
            },
        ),
        "ComplaintLookup": _object(
            ["number", "code"],
            {
                "number": _text(description="受理编号, e.g. 2026-sifaju-0007."),
                "code": _text(
                    description="The 12-digit receipt code; blanks and hyphens are ignored."
                ),
            },
        ),
        "ComplaintStatus": _object(
            ["number", "department", "category", "received_on", "status", "steps"],
            {
                "number": _text(),
                "department": _text(description="Its name."),
                "category": _text(description="Its category, in words."),
                "received_on": _text(format="date"),
                "status": _text(enum=statuses),
                "status_text": _text(),
                "due": {
                    "type": ["string", "null"],
                    "description": "The next deadline (working days), null when final or unknown.",
                },
                "due_for": _text(enum=["accept", "conclude", ""]),
                "steps": {
                    "type": "array",
                    "items": _object(
                        ["day", "status", "note"],
                        {
                            "day": _text(format="date"),
                            "status": _text(enum=statuses),
                            "status_text": _text(),
                            "note": _text(description='A reason or the reply ("" for none).'),
                        },
                    ),
                },
            },
        ),
    }


def submission_schema(q: Questionnaire, versions: Sequence[str]) -> Schema:
    return _object(
        ["submission_id", "department", "version", "channel", "answers"],
        {
            "submission_id": _text(
                pattern=SUBMISSION_ID_PATTERN.pattern, minLength=8, maxLength=64
            ),
            "department": _text(enum=[d.id for d in q.departments]),
            "version": _text(
                enum=list(versions),
                description=f"A version the collector accepts ({VERSION_PATTERN_TEXT}).",
            ),
            "channel": _text(
                enum=[c.id for c in q.channels if c.entry == "self"],
                description="A self-completed channel; staff channels are keyed in the workspace.",
            ),
            "website": HONEYPOT,
            "seconds": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": MAX_SECONDS,
                "description": "Seconds from the first answer to submit, as the page measured.",
            },
            "answers": {"$ref": "#/components/schemas/Answers"},
        },
        additionalProperties=False,
    )


def answers_schema(q: Questionnaire) -> Schema:
    properties = {question.id: _answer_schema(question) for question in q.questions}
    unconditional = [x.id for x in q.questions if x.required and not x.conditions]
    rules: list[Schema] = []
    for question in q.questions:
        if question.required and question.conditions:
            rules.append({"if": _applies(q, question), "then": {"required": [question.id]}})
        for option in question.options:
            if option.exclusive:
                chosen: Schema = {
                    "properties": {question.id: {"contains": {"const": option.id}}},
                    "required": [question.id],
                }
                # Only where the question applies: other answers are dropped unchecked.
                if question.conditions:
                    chosen = {"allOf": [chosen, _applies(q, question)]}
                rules.append({"if": chosen, "then": {"properties": {question.id: {"maxItems": 1}}}})
    schema = _object(unconditional, properties, additionalProperties=False)
    if rules:
        schema["allOf"] = rules
    return schema


def _answer_schema(question: Question) -> Schema:
    ids = [option.id for option in question.options]
    if question.kind == "single":
        return _text(enum=ids)
    return {
        "type": "array",
        "items": _text(enum=ids),
        "minItems": 1,
        "uniqueItems": True,
    }


def _applies(q: Questionnaire, question: Question) -> Schema:
    """The answers under which `question` applies: each condition holds, and the question
    each condition looks at applies itself (otherwise its answer is dropped)."""
    return {"allOf": [_holds(q, condition) for condition in question.conditions]}


def _holds(q: Questionnaire, condition: Condition) -> Schema:
    source = q.question(condition.question)
    wanted = list(condition.any_of)
    if source is not None and source.kind == "multiple":
        matches: Schema = {"contains": {"enum": wanted}}
    else:
        matches = {"enum": wanted}
    holds: Schema = {
        "properties": {condition.question: matches},
        "required": [condition.question],
    }
    if source is not None and source.conditions:
        return {"allOf": [holds, _applies(q, source)]}
    return holds


def _object(required: Sequence[str], properties: Schema, **keywords: Any) -> Schema:
    """An object's schema: the properties it must have, all it may have, any other keywords."""
    return {"type": "object", **keywords, "required": list(required), "properties": properties}


def _text(**keywords: Any) -> Schema:
    """A string's schema, with its keywords (enum, pattern, format, maxLength, description)."""
    return {"type": "string", **keywords}
