"""Daily network keys: one random key per office day, destroyed once its month is closed.

The collector hashes each sender's network prefix (manyi.collector.network) under the key of
the day the response arrives, so the aggregator can group one day's responses by network
without ever seeing an address. A new key each day means hashes of two days cannot be joined;
destroying a closed month's keys means nobody, not even an operator holding the submissions
and an address, can test afterwards whether that address sent a response.

Key layout (both adapters): `pk = "M#<YYYY-MM>"` (the office's month of the day),
`sk = "<YYYY-MM-DD>"`, so the aggregator removes a month's keys with one Query and deletes.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from datetime import date

from manyi.errors import ManyiError

KEY_BYTES = 32


class NetworkKeyError(ManyiError):
    """The key store cannot give a key now; the collector stores the response without one."""


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def month_of(day: date) -> str:
    return day.strftime("%Y-%m")


class NetworkKeys(ABC):
    @abstractmethod
    def key(self, day: date) -> bytes:
        """The key of an office day; the first caller makes it, every later one gets the same."""

    @abstractmethod
    def days(self, month: str) -> list[str]:
        """The days of `month` (YYYY-MM-DD) that still have a key, oldest first."""

    @abstractmethod
    def destroy(self, day: str) -> None:
        """Delete one day's key for good (nothing happens when it is gone already)."""

    def destroy_before(self, month: str, today: date) -> list[str]:
        """Delete the keys of `month`'s days before `today`; the days whose key was deleted.

        Today's key stays even in a closed month: the collector may be using it, and the
        next run deletes it once the day is over."""
        gone = [day for day in self.days(month) if day < today.isoformat()]
        for day in gone:
            self.destroy(day)
        return gone

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""
