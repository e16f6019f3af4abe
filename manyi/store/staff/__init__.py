"""The workspace's stores: staff accounts, login sessions and the append-only audit log.

Laid out like every store of manyi, so that later ones (follow-up cases, complaints) follow:
`base.py` holds the values, the interfaces (abstract classes) and the key layout; `sqlite.py`
and `dynamodb.py` are the two adapters, and one contract suite
(tests/integration/test_store_staff.py) runs over both.
"""
