"""The workspace on one machine (`manyi serve`): its stores in the data folder, the collector's
submission store for closing months, the aggregator's files as its reports."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from manyi.complaints.sources import ComplaintSources
from manyi.followup.service import Followup
from manyi.model import Questionnaire
from manyi.results.backends import local_pressure
from manyi.results.outputs import OutputFolder
from manyi.store.entry.sqlite import SQLiteEntryStore
from manyi.store.pressure.base import PressureStore
from manyi.store.results.sqlite import FILE_NAME, SqliteResultsStore
from manyi.store.staff.base import AuditLog
from manyi.store.staff.sqlite import local_staff_stores
from manyi.store.submissions.base import SubmissionStore
from manyi.workspace.context import Settings, Workspace
from manyi.workspace.reports import LocalReportFiles

# `manyi aggregate`'s local lag: SQLite commits within milliseconds of a response's stamp.
LOCAL_CLOSE_LAG = timedelta(seconds=5)


class SqliteResultsAnyThread(SqliteResultsStore):
    """The results store on a connection any thread may use. `manyi serve` answers each
    connection on a thread of its own but runs its apps one request at a time (one lock), so a
    single connection serves them all, one after another."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self._db.close()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, timeout=30, check_same_thread=False
        )


def local_workspace(
    data: Path,
    questionnaire: Callable[[], Questionnaire],
    submissions: SubmissionStore,
    complaints: ComplaintSources | None = None,
    key_file: Path | None = None,
    pressure: PressureStore | None = None,
) -> Workspace:
    """`key_file`: the sealing key (`manyi key create`); without it the follow-up's cases are
    counted but no party's details are stored or shown. `pressure`: the collector's counts of
    the pressure question (by default the folder's, if it has any)."""
    staff = local_staff_stores(data)
    return Workspace(
        questionnaire=questionnaire,
        staff=staff,
        results=SqliteResultsAnyThread(data / FILE_NAME),
        submissions=submissions,
        outputs=OutputFolder(data),
        reports=LocalReportFiles(data),
        settings=Settings(close_lag=LOCAL_CLOSE_LAG),
        entry=SQLiteEntryStore.in_folder(data),
        intake=submissions,
        complaints=complaints,
        followup=local_followup(data, staff.audit, key_file),
        pressure=pressure if pressure is not None else local_pressure(data),
    )


def local_followup(data: Path, audit: AuditLog, key_file: Path | None) -> Followup:
    from manyi.followup.service import SEAL_KIND
    from manyi.sealing import Sealer, read_key_file
    from manyi.store.cases.sqlite import SQLiteCaseStore

    sealer = Sealer(read_key_file(key_file), SEAL_KIND) if key_file is not None else None
    return Followup(SQLiteCaseStore.in_folder(data), audit, sealer)
