"""A busy month of follow-ups and complaints for every department of questionnaire.yaml, to fill
the monthly report's 回访 and 投诉举报 sections at their longest (every department with cases,
complaints in every category across many departments). Values only, seeded, no store."""

from __future__ import annotations

import random

from manyi.calendar import previous_month
from manyi.complaints.model import Complaint, Status, Step
from manyi.complaints.report_section import complaints_section
from manyi.complaints.settings import CATEGORIES
from manyi.followup.figures import FollowupFigures
from manyi.followup.report_section import followup_section
from manyi.model import Questionnaire
from manyi.reports.sections import ReportSection, SectionProviders

SEED = 20261128
# A complaint's words and its complainant: what must never reach a report.
ACCOUNT = "窗口工作人员让我跑了三趟"
SUBJECT = "二号窗口张科长"


def followup_figures(questionnaire: Questionnaire, month: str) -> list[FollowupFigures]:
    """Every department with closed cases, draws, calls and some problems."""
    rnd = random.Random(SEED)
    out = []
    for department in questionnaire.departments:
        closed = rnd.randint(20, 300)
        drawn = max(1, closed // 4)
        completed = rnd.randint(drawn // 2, drawn)
        refused = rnd.randint(0, drawn - completed)
        non_contact = rnd.randint(0, drawn - completed - refused)
        unknown = drawn - completed - refused - non_contact
        with_problem = rnd.randint(0, max(1, completed // 5))
        problems_open = rnd.randint(0, with_problem)
        out.append(
            FollowupFigures(
                department=department.id, month=month, closed=closed, drawn=drawn,
                completed=completed, refused=refused, non_contact=non_contact, unknown=unknown,
                ineligible=0, favourable=completed * 2 - with_problem, unfavourable=with_problem,
                with_problem=with_problem, problems_open=problems_open,
                problems_overdue=rnd.randint(0, problems_open),
            )
        )  # fmt: skip
    return out


def complaints(questionnaire: Questionnaire, month: str, count: int = 90) -> list[Complaint]:
    """`count` complaints received in `month` about most departments, every category, in every
    status, plus one of the month before (not counted)."""
    rnd = random.Random(SEED)
    departments = [d.id for d in questionnaire.departments]
    statuses: list[Status] = ["received", "accepted", "in_progress", "refused", "concluded"]
    out = []
    for n in range(count + 1):
        day = f"{month}-{n % 20 + 1:02d}" if n < count else f"{previous_month(month)}-15"
        status = statuses[n % len(statuses)]
        steps = []
        if status != "received":
            first = "refused" if status == "refused" else "accepted"
            steps.append(Step(f"{day}T03:00:00Z", day, first, "office-1"))  # type: ignore[arg-type]
        if status == "concluded":
            steps.append(Step(f"{day}T05:00:00Z", day, "concluded", "office-1", "已办结"))
        if status == "in_progress":
            steps.append(Step(f"{day}T04:00:00Z", day, "in_progress", "office-1"))
        category = list(CATEGORIES)[n % len(CATEGORIES)]
        out.append(
            Complaint(
                number=f"{day[:4]}-x-{n:04d}", key_hash=f"k{n}", code_hash=f"c{n}",
                department=departments[rnd.randrange(len(departments) * 2 // 3)],
                category=category, about=questionnaire.complaints.about(category),
                subject=SUBJECT, account=ACCOUNT, happened_on=day,
                received_at=f"{day}T02:00:00.000000Z", received_on=day, status=status,
                handler="office-1", steps=tuple(steps),
            )
        )  # fmt: skip
    return out


def busy_providers(questionnaire: Questionnaire, month: str) -> SectionProviders:
    """Providers over the values above, as the stores' providers would give them."""
    figures = followup_figures(questionnaire, month)
    received = complaints(questionnaire, month)

    def followup(wanted: str, department: str | None) -> ReportSection | None:
        return followup_section(questionnaire, figures, department) if wanted == month else None

    def complaint(wanted: str, department: str | None) -> ReportSection | None:
        return complaints_section(questionnaire, received, wanted, department)

    return {"followup": followup, "complaints": complaint}
