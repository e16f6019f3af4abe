"""The office's results: the aggregator's state and runs, exports, the report and its pages.

The maths is in `manyi.aggregate` and `manyi.figures` (pure); this package is its edge: stores
(SQLite, DynamoDB), outputs (a folder, S3), renderings (JSON, CSV, XLSX, HTML) and the web view.
"""
