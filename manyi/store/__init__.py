"""Everything manyi keeps, in one package: one interface idiom, key formats in one place.

Each concept is a subpackage laid out the same way: `base.py` holds the values, the interface
(an abstract class of small storage calls), the key layout and its own errors; `sqlite.py` and
`dynamodb.py` are the adapters, and one contract suite in tests runs over both.

- `submissions/`: the anonymous survey responses (and `memory.py`, an in-memory adapter).
- `results/`: what the aggregator remembers between runs (department-month states, closes).
- `staff/`: workspace accounts, login sessions and the append-only audit log.
- `errors.py`: StoreUnavailable (retry later), StoreMisconfigured and DataFolderError (an
  operator must act); `aws_errors.py` maps DynamoDB errors onto them.
- `records.py`: a record (a frozen dataclass) as the plain JSON object the stores keep, and back;
  `dumps`, the one text every store writes of it.
- `sqlite_schema.py`: schema versions, migrations and the one write transaction of every SQLite
  store; `backup.py`: the data folder's backup and restore.
"""
