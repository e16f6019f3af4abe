"""The follow-up (回访) stores: closed cases with their sealed party data, draws and visitors.

Laid out like the staff stores: `base.py` holds the values, the interface and the key layout;
`sqlite.py` and `dynamodb.py` are the adapters; tests/integration/test_store_cases.py runs over
both. These hold personal data, so they live in their own file (`followup.sqlite3`) and
table, never beside the anonymous survey.
"""
