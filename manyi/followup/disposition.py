"""What a follow-up came to: each case's final AAPOR disposition, and when a case is done.

AAPOR Standard Definitions (telephone): I complete; R refusal; NC non-contact (the line reached,
the party not); UH unknown eligibility (never answered, busy, or not tried yet); NE not eligible
(the number is not the party's). A completed self-service link counts as I.
"""

from __future__ import annotations

from manyi.store.cases.base import Case, Disposition, Outcome

# Outcomes that end a case at once; the others leave it open for another attempt.
FINAL_OUTCOMES: frozenset[Outcome] = frozenset({"completed", "refused", "wrong_number"})


def disposition(case: Case) -> Disposition:
    if case.answered_via:
        return "I"
    outcomes = [attempt.outcome for attempt in case.attempts]
    if "refused" in outcomes:
        return "R"
    if "not_party" in outcomes:
        return "NC"
    if outcomes and all(o == "wrong_number" for o in outcomes):
        return "NE"
    return "UH"


def is_done(case: Case, max_attempts: int) -> bool:
    """No more calls are due: answered, refused, not the party's number, or out of attempts."""
    if case.answered_via:
        return True
    if any(attempt.outcome in FINAL_OUTCOMES for attempt in case.attempts):
        return True
    return len(case.attempts) >= max_attempts
