"""The data folder on one machine: SQLite schema versions and migrations, backup and restore.

Kept free of imports: the CLI catches `DataFolderError` without paying for sqlite3.
"""


class DataFolderError(Exception):
    """A data folder or backup manyi cannot use as it is (a schema newer than this code, a
    failed migration, a damaged backup). The message says which file and what to do; the CLI
    prints it and exits 2."""
