"""Entry batches and their keyed questionnaires, and the store interface both adapters honour.

A batch is what a clerk keys in one sitting: one department, one staff channel, for a meeting
its date and place. Its questionnaires wait here, where the last one can be corrected or voided
(a void is a flag, never a delete), until the batch is finished; only then do they go into the
submission store, each under a submission ID made from its entry ID, so finishing twice stores
nothing twice. With double entry a second account keys the same papers as pass 2, and the batch
is finished once every difference between the passes is resolved.

Key layout (DynamoDB; SQLite uses the same values as columns):
- batches: `pk = "BATCHES#<department>"`, `sk = <batch ID>` (IDs begin with their creation
  time, so a department's batches list newest first with one Query);
- entries: `pk = "E#<batch ID>#<pass>"`, `sk = <entry ID>`: the ID comes from the keying form,
  so a save sent twice (a double click, a retry) is stored once;
- the office's entry policy: `pk = "POLICY"`, `sk = "ENTRY"`.
Nothing here names a respondent: the account that keyed a questionnaire is in the audit log.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from manyi.errors import ManyiError
from manyi.model import AnswerValue
from manyi.store.records import Record, dumps, with_tuples

# open: keying pass 1; second: pass 1 finished, waiting for pass 2 by another account;
# compare: both passes keyed, differences to resolve; done: in the submission store.
BatchStatus = Literal["open", "second", "compare", "done"]
ENTRY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
BATCH_ID_PATTERN = re.compile(r"^[0-9]{14}-[A-Za-z0-9_-]{6,16}$")
PASSES = (1, 2)
POLICY = ("POLICY", "ENTRY")  # the policy item's key


class EntryStoreError(ManyiError):
    """Base of the entry store's own errors."""


class BatchConflict(EntryStoreError):
    """The batch or entry changed since it was read; read it again and redo the change."""


@dataclass(frozen=True)
class Batch(Record):
    batch_id: str
    department: str
    channel: str
    created_by: str
    created_at: str  # ISO 8601 UTC
    meeting_date: str = ""  # YYYY-MM-DD, for a meeting
    meeting_place: str = ""
    double_entry: bool = False
    status: BatchStatus = "open"
    first_by: str = ""  # who finished pass 1 (pass 2 must be someone else)
    second_by: str = ""
    done_at: str = ""
    stored: int = 0  # responses put into the submission store when done
    version: int = 1  # bumped by every write; a write names the version it read


@dataclass(frozen=True)
class Entry(Record, read={"pass_no": int, "answers": with_tuples, "void": bool, "revision": int}):
    """One keyed questionnaire of a pass: normalized answers (check_answers' output)."""

    batch_id: str
    pass_no: int
    entry_id: str
    saved_at: str  # ISO 8601 UTC of the first save: orders the pass
    questionnaire: str  # the questionnaire version the answers follow
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    void: bool = False
    revision: int = 1  # bumped by a correction or a void


@dataclass(frozen=True)
class EntryPolicy:
    """What the office decides for every department: whether double entry is required."""

    double_entry_required: bool = False
    version: int = 0


def batches_pk(department: str) -> str:
    return f"BATCHES#{department}"


def entries_pk(batch_id: str, pass_no: int) -> str:
    return f"E#{batch_id}#{pass_no}"


def in_order(entries: list[Entry]) -> list[Entry]:
    """A pass in the order it was keyed."""
    return sorted(entries, key=lambda e: (e.saved_at, e.entry_id))


class EntryStore(ABC):
    """Batches, entries and the policy are versioned JSON items under the key layout above:
    an adapter gives the item primitives (insert, update, read one, list a partition), and
    the rules over them (what is new, what follows which version, which order a listing
    takes) are written here once."""

    @abstractmethod
    def _insert(self, pk: str, sk: str, version: int, item: str) -> bool:
        """Store a new item; False where one is stored under its key already."""

    @abstractmethod
    def _update(self, pk: str, sk: str, version: int, item: str) -> None:
        """Write over the item stored with `version - 1`; BatchConflict otherwise."""

    @abstractmethod
    def _one(self, pk: str, sk: str) -> dict[str, Any] | None:
        """The stored item's JSON document, read consistently."""

    @abstractmethod
    def _partition(self, pk: str) -> list[dict[str, Any]]:
        """The JSON documents of every item under `pk`, read consistently."""

    @abstractmethod
    def _last(self, pk: str, limit: int) -> list[dict[str, Any]]:
        """The JSON documents of the `limit` items under `pk` with the highest sort keys,
        highest first, read consistently."""

    def add_batch(self, batch: Batch) -> None:
        """Store a new batch (version 1)."""
        if batch.version != 1 or not self._insert(
            batches_pk(batch.department), batch.batch_id, 1, dumps(batch.to_dict())
        ):
            raise BatchConflict(batch.batch_id)

    def batch(self, department: str, batch_id: str) -> Batch | None:
        found = self._one(batches_pk(department), batch_id)
        return None if found is None else Batch.from_dict(found)

    def batches(self, department: str, limit: int = 50) -> list[Batch]:
        """A department's batches, newest first (a batch ID begins with its creation time)."""
        return [Batch.from_dict(found) for found in self._last(batches_pk(department), limit)]

    def replace_batch(self, batch: Batch) -> None:
        """Write over the stored batch whose version is `batch.version - 1`; BatchConflict
        otherwise."""
        self._update(
            batches_pk(batch.department), batch.batch_id, batch.version, dumps(batch.to_dict())
        )

    def add_entry(self, entry: Entry) -> tuple[Entry, bool]:
        """Store a keyed questionnaire once per (batch, pass, entry ID): the stored one and
        True when new, or the one stored first and False."""
        pk = entries_pk(entry.batch_id, entry.pass_no)
        if self._insert(pk, entry.entry_id, entry.revision, dumps(entry.to_dict())):
            return entry, True
        found = self._one(pk, entry.entry_id)
        if found is None:  # gone between the two calls: nothing deletes entries
            raise BatchConflict(entry.entry_id)
        return Entry.from_dict(found), False

    def replace_entry(self, entry: Entry) -> None:
        """Write over the stored entry whose revision is `entry.revision - 1`; BatchConflict
        otherwise. Entries are never deleted: a void is `void=True`."""
        pk = entries_pk(entry.batch_id, entry.pass_no)
        self._update(pk, entry.entry_id, entry.revision, dumps(entry.to_dict()))

    def entries(self, batch_id: str, pass_no: int) -> list[Entry]:
        """Every entry of a pass, voided ones too, in the order keyed."""
        found = self._partition(entries_pk(batch_id, pass_no))
        return in_order([Entry.from_dict(entry) for entry in found])

    def policy(self) -> EntryPolicy:
        found = self._one(*POLICY)
        return EntryPolicy() if found is None else EntryPolicy(**found)

    def set_policy(self, policy: EntryPolicy) -> None:
        """Write the policy over the one of version `policy.version - 1`; BatchConflict
        otherwise."""
        item = dumps(policy.__dict__)
        if policy.version == 1:
            if not self._insert(*POLICY, 1, item):
                raise BatchConflict("policy")
            return
        self._update(*POLICY, policy.version, item)

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""
