"""The OpenAPI 3.1 document of the collector, derived from the questionnaire it accepts.

Each question becomes a property of `answers`: an enum of its option IDs for a single choice, a
non-empty array of distinct option IDs for a multiple choice. The rules JSON Schema can say are
said: required questions, conditions (`if` the answers that make a question apply, `then` it is
required; answers to questions that do not apply are accepted and dropped), and exclusive
options (`if` the array contains one, `then` it holds nothing else). Built on first request
and cached, never on the cold path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from manyi.model import Condition, Question, Questionnaire
from manyi.submission import MAX_BODY_BYTES, MAX_SECONDS, SUBMISSION_ID_PATTERN
from manyi.versions import VERSION_PATTERN_TEXT

Schema = dict[str, Any]


def openapi_document(current: Questionnaire, versions: Sequence[str]) -> Schema:
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

    return {
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
                "Stored": {
                    "type": "object",
                    "required": ["submission_id", "month", "received_at"],
                    "properties": {
                        "submission_id": {"type": "string"},
                        "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                        "received_at": {"type": "string"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "errors"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "detail": {"type": "string"},
                            },
                        },
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["field", "code", "message"],
                                "properties": {
                                    "field": {"type": "string"},
                                    "code": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
                },
            }
        },
    }


def submission_schema(q: Questionnaire, versions: Sequence[str]) -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["submission_id", "department", "version", "channel", "answers"],
        "properties": {
            "submission_id": {
                "type": "string",
                "pattern": SUBMISSION_ID_PATTERN.pattern,
                "minLength": 8,
                "maxLength": 64,
            },
            "department": {"type": "string", "enum": [d.id for d in q.departments]},
            "version": {
                "type": "string",
                "enum": list(versions),
                "description": f"A version the collector accepts ({VERSION_PATTERN_TEXT}).",
            },
            "channel": {
                "type": "string",
                "enum": [c.id for c in q.channels if c.entry == "self"],
                "description": "A self-completed channel; staff channels are keyed in the "
                "workspace.",
            },
            "website": {
                "type": ["string", "null"],
                "maxLength": 0,
                "description": "Leave empty: people never see this field.",
            },
            "seconds": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": MAX_SECONDS,
                "description": "Seconds from the first answer to submit, as the page measured.",
            },
            "answers": {"$ref": "#/components/schemas/Answers"},
        },
    }


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
    schema: Schema = {
        "type": "object",
        "additionalProperties": False,
        "required": unconditional,
        "properties": properties,
    }
    if rules:
        schema["allOf"] = rules
    return schema


def _answer_schema(question: Question) -> Schema:
    ids = [option.id for option in question.options]
    if question.kind == "single":
        return {"type": "string", "enum": ids}
    return {
        "type": "array",
        "items": {"type": "string", "enum": ids},
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
