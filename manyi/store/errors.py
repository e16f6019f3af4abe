"""The errors every store raises, whatever it keeps: retry later, or an operator must act.

Kept free of imports: the collector and the CLI catch these without paying for a database
driver.
"""

# What a 503 tells the client to wait before retrying, in seconds.
DEFAULT_RETRY_AFTER = 2


class StoreUnavailable(Exception):
    """The store cannot take or give data right now (throttled, down, locked); retry later.

    Raised when the response is not (yet) stored; a retry with the same submission ID is
    always safe: it stores the response once, or completes what the failed call began.
    """

    def __init__(self, reason: str, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class StoreMisconfigured(Exception):
    """The store refuses for a reason no retry fixes (a missing table, denied access): an
    operator must act. The message says what to check."""


class DataFolderError(Exception):
    """A data folder or backup manyi cannot use as it is (a schema newer than this code, a
    failed migration, a damaged backup). The message says which file and what to do; the CLI
    prints it and exits 2."""
