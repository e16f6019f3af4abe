"""Which of the report's provided sections (回访, 投诉举报) a caller's stores can fill.

Each feature writes its own section from its own figures (manyi.followup.report_section,
manyi.complaints.report_section); this module only joins them to the stores at hand. A store
that is not at hand (not set up here, or a copy that must not carry it) leaves its section out.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from manyi.model import Questionnaire
from manyi.reports.sections import SectionProvider, Slot

if TYPE_CHECKING:
    from manyi.store.cases.base import CaseStore
    from manyi.store.complaints.base import ComplaintStore


def report_providers(
    questionnaire: Questionnaire,
    *,
    cases: CaseStore | None = None,
    complaints: ComplaintStore | None = None,
    today: date,
) -> dict[Slot, SectionProvider]:
    """The providers for the stores given; `today` dates the follow-up's overdue problems."""
    providers: dict[Slot, SectionProvider] = {}
    if cases is not None and questionnaire.followup is not None:
        from manyi.followup.report_section import FollowupSections

        providers["followup"] = FollowupSections(questionnaire, cases, today)
    if complaints is not None:
        from manyi.complaints.report_section import ComplaintSections

        providers["complaints"] = ComplaintSections(questionnaire, complaints)
    return providers
