"""The aggregator: its runs and state, the office's served counts and closes, where outputs go.

The maths is in `manyi.aggregate` and `manyi.figures` (pure); this package is its edge: stores
(SQLite, DynamoDB), runs (by hand or on a schedule), outputs (a folder, S3) and the web view.
What a month's files look like is `manyi.reports`'s business.
"""
