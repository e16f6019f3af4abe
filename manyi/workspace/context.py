"""What the workspace works with: its stores, the results, the clock and its settings.

Made once per process (a Lambda sandbox, a `manyi serve`), passed to every page. Nothing here
does I/O on its own; the stores do, and tests pass fakes or temporary ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from manyi.collector.ratelimit import AddressSource, RateLimit, RateLimiter
from manyi.complaints.sources import ComplaintSources
from manyi.figures import CitySummary
from manyi.followup.service import Followup
from manyi.model import Questionnaire
from manyi.results.outputs import Outputs
from manyi.selection import Selection
from manyi.store.entry.base import EntryStore
from manyi.store.pressure.base import PressureStore
from manyi.store.results.base import ResultsStore
from manyi.store.staff.base import StaffStores
from manyi.store.submissions.base import SubmissionStore
from manyi.workspace.passwords import DEFAULT_COST, ScryptCost
from manyi.workspace.reports import ReportFiles

PREFIX = "/workspace/"
# Logins from one network (a /24 or /48): a whole office signing in at nine, then one every
# few seconds. An attacker gets as many guesses, spread over every name, before the per-name
# lock (5 failures, then an exponentially growing wait) stops each name.
DEFAULT_LOGIN_LIMIT = RateLimit(burst=30, per_minute=10)

# Without a CDN in front (manyi serve), the request's source address is the client's.
NO_CDN = AddressSource()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    # Secure cookies even when the request does not say HTTPS (AWS: always behind HTTPS).
    secure_cookies: bool = False
    # Where the client's address is behind CloudFront, believed only with the origin secret.
    addresses: AddressSource = NO_CDN
    login_limit: RateLimit | None = DEFAULT_LOGIN_LIMIT
    password_cost: ScryptCost = DEFAULT_COST
    # The aggregator's safety lag, used when the office closes a month here.
    close_lag: timedelta = timedelta(minutes=2)
    # Where the public site is (its leaflets, QR codes, channel pages); "" for the same origin.
    site_url: str = ""

    @classmethod
    def from_environment(cls) -> Settings:
        limit = os.environ.get("MANYI_LOGIN_RATE_LIMIT")
        return cls(
            secure_cookies=os.environ.get("MANYI_SECURE_COOKIES", "").lower() in ("1", "true"),
            addresses=AddressSource.from_environment(),
            login_limit=RateLimit.parse(limit) if limit else DEFAULT_LOGIN_LIMIT,
            site_url=os.environ.get("BASE_URL", "").rstrip("/"),
        )


@dataclass
class Workspace:
    questionnaire: Callable[[], Questionnaire]
    staff: StaffStores
    results: ResultsStore
    # What closing a month needs: the responses to count, and where the reports go.
    submissions: SubmissionStore | None
    outputs: Outputs | None
    reports: ReportFiles | None
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], datetime] = utc_now
    login_limiter: RateLimiter | None = None
    # The office dashboard's figures of closed months, which do not change (see dashboard.py).
    closed_months: dict[tuple[str, str, str, Selection], CitySummary] = field(default_factory=dict)
    # Staff entry: batches being keyed, and the submission store that finished batches and
    # imports go into (the collector's own, so exactly-once holds across both).
    entry: EntryStore | None = None
    intake: SubmissionStore | None = None
    # 投诉举报: their store and the sealer that opens names and phones (None: not set up here).
    complaints: ComplaintSources | None = None
    # The follow-up's cases and the sealer of their personal fields; None: not set up here.
    followup: Followup | None = None
    # The pressure question's counts, shown with the integrity flags (None: not kept here).
    pressure: PressureStore | None = None

    def __post_init__(self) -> None:
        if self.login_limiter is None and self.settings.login_limit is not None:
            self.login_limiter = RateLimiter(self.settings.login_limit)
