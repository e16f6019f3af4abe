"""A month's results as JSON, for programs: IDs as keys, counts and rates as numbers.

Rates are fractions rounded to six places (the index to two); a rate without a denominator is
null, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from manyi.aggregate import Counts
from manyi.figures import CitySummary, DepartmentFigures, RankedDepartment
from manyi.integrity import DepartmentSignals
from manyi.reports.tables import departments_shown, rounded
from manyi.reports.view import MonthView
from manyi.store.pressure.base import PRESSURE_ANSWERS


def published_counts(counts: Counts) -> dict[str, Any]:
    """Counts as published: the integrity traits behind the signals stay inside."""
    return {k: v for k, v in counts.to_dict().items() if k != "traits"}


def department_json(
    figures: DepartmentFigures,
    status: str,
    listed: bool = True,
    signals: DepartmentSignals | None = None,
    pressure: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    counts = figures.counts
    return {
        "department": figures.department.id,
        "department_name": figures.department.name,
        "listed": listed,  # false: questionnaire.yaml no longer lists it (name = ID)
        "month": figures.month,
        "status": status,
        "responses": counts.responses,
        "late_responses": figures.late.responses,
        "served": figures.served,
        "coverage": rounded(figures.coverage),
        "coverage_target": figures.coverage_target,
        "below_target": figures.below_target,
        "satisfaction_index": rounded(figures.satisfaction_index, 2),
        "satisfaction_rate": rounded(figures.satisfaction_rate),
        "min_sample": figures.min_sample,
        "flags": list(figures.flags),
        "by_channel": dict(counts.channels),
        "by_entry": dict(figures.entries),
        "by_respondent": dict(counts.respondent_types),
        "by_version": dict(counts.versions),
        "questions": {q.id: {o.id: o.count for o in q.options} for q in figures.questions},
        "answered": {q.id: q.answered for q in figures.questions},
        "satisfaction_rates": {
            q.id: rounded(q.satisfaction_rate) for q in figures.questions if q.satisfaction_scale
        },
        "awareness_gaps": {
            q.id: rounded(q.awareness_gap) for q in figures.questions if q.satisfaction_scale
        },
        "problem_rates": {
            q.id: {o.id: rounded(o.share) for o in q.problem_rates}
            for q in figures.questions
            if q.problem_rates
        },
        "late": published_counts(figures.late),
        # Null in a department's own download: its signals compare it with the city.
        "signals": signals.to_dict() if signals is not None else None,
        # The pressure question's answers, counted apart from the responses (有/没有/不愿回答);
        # null where they were not read.
        "pressure": (
            None
            if pressure is None
            else {answer: pressure.get(answer, 0) for answer in PRESSURE_ANSWERS}
        ),
    }


def _ranking_json(ranking: Sequence[RankedDepartment]) -> list[dict[str, Any]]:
    return [
        {
            "rank": r.rank,
            "small_sample": r.small_sample,
            "department": r.figures.department.id,
            "value": rounded(r.value),
        }
        for r in ranking
    ]


def city_json(city: CitySummary, department: str | None = None) -> dict[str, Any]:
    def shown(departments: Sequence[DepartmentFigures]) -> list[str]:
        return [d.department.id for d in departments if department in (None, d.department.id)]

    return {
        "responses": city.total.responses,
        "late_responses": city.late.responses,
        "served": city.served,
        "coverage": rounded(city.coverage),
        "satisfaction_index": rounded(city.satisfaction_index, 2),
        "satisfaction_rate": rounded(city.satisfaction_rate),
        "departments_below_target": shown(city.below_target),
        "departments_without_served": shown(city.without_served),
        "questions": {q.id: {o.id: o.count for o in q.options} for q in city.questions},
    }


def month_json(view: MonthView, department: str | None = None) -> dict[str, Any]:
    """The month; with `department`, only what concerns it (its rank, not the others')."""
    city = view.city

    def ranking(ranked: Sequence[RankedDepartment]) -> list[dict[str, Any]]:
        return _ranking_json([r for r in ranked if department in (None, r.figures.department.id)])

    return {
        "month": view.month,
        "status": view.status,
        "closed_at": view.close.closed_at if view.close else None,
        "unlisted_departments": [d for d in view.unlisted if department in (None, d)],
        "close_events": [
            {"action": e.action, "at": e.at, "by": e.by, "reason": e.reason, "early": e.early}
            for e in view.close_events
        ],
        "coverage_target": city.departments[0].coverage_target if city.departments else None,
        "city": city_json(city, department),
        "rankings": {
            "satisfaction_index": ranking(city.by_index),
            "coverage": ranking(city.by_coverage),
        },
        "departments": [
            department_json(
                d,
                view.status,
                d.department.id not in view.unlisted,
                view.signals.get(d.department.id),
                None if view.pressure is None else view.pressure.get(d.department.id, {}),
            )
            for d in departments_shown(view, department)
        ],
    }
