"""The complaints store (投诉举报): its own file or table, never the survey's.

`base.py` holds the interface and the key layout; `sqlite.py` and `dynamodb.py` are the two
adapters, and one contract suite (tests/integration/test_store_complaints.py) runs over both.
"""
