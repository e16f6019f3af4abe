"""The follow-up's settings and its short form, from questionnaire.yaml's `followup` section.

Operational settings (sampling shares, days, attempts) and a second, short form made of the
same `Question`s as the survey. The form has its own version (a hash of its content); none of
this section changes the survey's version, so a new share or a reworded follow-up question
never makes a citizen's page stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The settings live in the model, beside the questionnaire that carries them.
from manyi.model import FollowupConfig, content_version

FORM_SECTION = "followup"
__all__ = ["FORM_SECTION", "FollowupConfig", "form_version"]


def form_version(form: Mapping[str, Any]) -> str:
    return content_version(form)
